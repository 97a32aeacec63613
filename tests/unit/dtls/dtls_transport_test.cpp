#include <gtest/gtest.h>

#include <openssl/rand.h>

#include <random>

#include "dtls_test_pair.hpp"

namespace parley::dtls {
namespace {

using test::Datagram;
using test::DtlsPair;
using namespace std::chrono_literals;

void expect_matching_keys(const DtlsTransport& client, const DtlsTransport& server, SrtpProfile profile) {
  ASSERT_TRUE(client.srtp_keys().has_value());
  ASSERT_TRUE(server.srtp_keys().has_value());
  const SrtpKeys& c = *client.srtp_keys();
  const SrtpKeys& s = *server.srtp_keys();
  EXPECT_EQ(c.profile, profile);
  EXPECT_EQ(s.profile, profile);
  EXPECT_EQ(c.local_role, Role::client);
  EXPECT_EQ(s.local_role, Role::server);
  // What one side writes with, the other reads with.
  EXPECT_EQ(c.local().key, s.remote().key);
  EXPECT_EQ(c.local().salt, s.remote().salt);
  EXPECT_EQ(c.remote().key, s.local().key);
  EXPECT_EQ(c.remote().salt, s.local().salt);
  EXPECT_EQ(c.client_write.key, s.client_write.key);
  EXPECT_EQ(c.server_write.key, s.server_write.key);
  EXPECT_NE(c.client_write.key, c.server_write.key);
  EXPECT_EQ(c.local().key.size(), srtp_key_length(profile));
  EXPECT_EQ(c.local().salt.size(), srtp_salt_length(profile));
  EXPECT_EQ(c.remote().salt.size(), srtp_salt_length(profile));
  EXPECT_NE(c.local().key, std::vector<std::uint8_t>(16, 0));
}

TEST(DtlsTransport, HandshakeInMemoryPrefersGcm) {
  DtlsPair p;
  p.handshake();
  ASSERT_EQ(p.client->state(), State::connected) << p.client->error();
  ASSERT_EQ(p.server->state(), State::connected) << p.server->error();
  EXPECT_EQ(p.client->srtp_profile(), SrtpProfile::aead_aes_128_gcm);
  expect_matching_keys(*p.client, *p.server, SrtpProfile::aead_aes_128_gcm);
  EXPECT_EQ(p.client->remote_certificate_fingerprint(), p.server_cert->fingerprint());
  EXPECT_EQ(p.server->remote_certificate_fingerprint(), p.client_cert->fingerprint());
  EXPECT_TRUE(p.client->error().empty());
  EXPECT_EQ(p.client_states, (std::vector<State>{State::connecting, State::connected}));
  EXPECT_EQ(p.server_states, (std::vector<State>{State::connecting, State::connected}));
  EXPECT_EQ(p.client->retransmissions(), 0);
}

TEST(DtlsTransport, ClientForcesAesCmSha1_80) {
  DtlsPair p;
  p.client_config.srtp_profiles = {SrtpProfile::aes128_cm_hmac_sha1_80};
  p.handshake();
  ASSERT_EQ(p.client->state(), State::connected) << p.client->error();
  ASSERT_EQ(p.server->state(), State::connected) << p.server->error();
  expect_matching_keys(*p.client, *p.server, SrtpProfile::aes128_cm_hmac_sha1_80);
}

TEST(DtlsTransport, ServerForcesAesCmSha1_80) {
  DtlsPair p;
  p.server_config.srtp_profiles = {SrtpProfile::aes128_cm_hmac_sha1_80};
  p.handshake();
  ASSERT_EQ(p.client->state(), State::connected) << p.client->error();
  ASSERT_EQ(p.server->state(), State::connected) << p.server->error();
  expect_matching_keys(*p.client, *p.server, SrtpProfile::aes128_cm_hmac_sha1_80);
}

TEST(DtlsTransport, GcmOnlyOnBothSides) {
  DtlsPair p;
  p.client_config.srtp_profiles = {SrtpProfile::aead_aes_128_gcm};
  p.server_config.srtp_profiles = {SrtpProfile::aead_aes_128_gcm};
  p.handshake();
  ASSERT_EQ(p.client->state(), State::connected) << p.client->error();
  expect_matching_keys(*p.client, *p.server, SrtpProfile::aead_aes_128_gcm);
}

TEST(DtlsTransport, NoCommonSrtpProfileFails) {
  DtlsPair p;
  p.client_config.srtp_profiles = {SrtpProfile::aead_aes_128_gcm};
  p.server_config.srtp_profiles = {SrtpProfile::aes128_cm_hmac_sha1_80};
  p.handshake();
  EXPECT_EQ(p.client->state(), State::failed);
  EXPECT_EQ(p.server->state(), State::failed);
  EXPECT_NE(p.client->error().find("SRTP"), std::string::npos) << p.client->error();
  EXPECT_FALSE(p.client->srtp_keys().has_value());
}

TEST(DtlsTransport, WrongServerFingerprintFailsClientWithClearError) {
  DtlsPair p;
  auto other = test::make_certificate();
  p.client_config.remote_fingerprint = other->fingerprint();
  p.handshake();
  EXPECT_EQ(p.client->state(), State::failed);
  EXPECT_NE(p.client->error().find("fingerprint mismatch"), std::string::npos) << p.client->error();
  EXPECT_NE(p.client->error().find(other->fingerprint().to_sdp()), std::string::npos) << p.client->error();
  EXPECT_NE(p.client->error().find(p.server_cert->fingerprint().to_sdp()), std::string::npos);
  // The client refused with an alert: the server does not connect either.
  EXPECT_EQ(p.server->state(), State::failed);
  EXPECT_NE(p.server->error().find("alert"), std::string::npos) << p.server->error();
  EXPECT_FALSE(p.client->srtp_keys().has_value());
  EXPECT_FALSE(p.server->srtp_keys().has_value());
}

TEST(DtlsTransport, WrongClientFingerprintFailsServer) {
  DtlsPair p;
  auto other = test::make_certificate();
  p.server_config.remote_fingerprint = other->fingerprint();
  p.handshake();
  EXPECT_EQ(p.server->state(), State::failed);
  EXPECT_NE(p.server->error().find("fingerprint mismatch"), std::string::npos) << p.server->error();
  EXPECT_NE(p.client->state(), State::connected);
}

TEST(DtlsTransport, RemoteFingerprintSetAfterHandshake) {
  DtlsPair p;
  p.server_config.remote_fingerprint.reset();  // SDP answer not there yet
  p.handshake();
  EXPECT_EQ(p.client->state(), State::connected) << p.client->error();
  EXPECT_EQ(p.server->state(), State::connecting);  // handshake done, peer not verified
  ASSERT_TRUE(p.server->remote_certificate_fingerprint().has_value());
  EXPECT_FALSE(p.server->srtp_keys().has_value());  // no keys for an unverified peer
  EXPECT_TRUE(p.server->set_remote_fingerprint(p.client_cert->fingerprint()));
  EXPECT_EQ(p.server->state(), State::connected) << p.server->error();
  expect_matching_keys(*p.client, *p.server, SrtpProfile::aead_aes_128_gcm);
}

TEST(DtlsTransport, LateWrongFingerprintFails) {
  DtlsPair p;
  p.server_config.remote_fingerprint.reset();
  p.handshake();
  auto other = test::make_certificate();
  p.server->set_remote_fingerprint(other->fingerprint());
  EXPECT_EQ(p.server->state(), State::failed);
  EXPECT_NE(p.server->error().find("fingerprint mismatch"), std::string::npos) << p.server->error();
  EXPECT_FALSE(p.server->srtp_keys().has_value());
  // The server said goodbye (close_notify).
  p.pump();
  EXPECT_EQ(p.client->state(), State::closed);
}

TEST(DtlsTransport, RemoteFingerprintWithOtherHash) {
  DtlsPair p;
  auto sha1 = compute_fingerprint(p.server_cert->x509(), "sha-1");
  ASSERT_TRUE(sha1);
  p.client_config.remote_fingerprint = *sha1;
  p.handshake();
  EXPECT_EQ(p.client->state(), State::connected) << p.client->error();
}

TEST(DtlsTransport, LostClientHelloRecoveredByTimer) {
  DtlsPair p;
  p.client_config.initial_retransmit_timeout = 200ms;
  p.drop = [](Role from, std::size_t index, const Datagram&) { return from == Role::client && index == 0; };
  p.create();
  p.client->start();
  p.pump();
  EXPECT_EQ(p.client->state(), State::connecting);
  EXPECT_EQ(p.server->state(), State::new_);
  auto t = p.client->next_timeout();
  ASSERT_TRUE(t.has_value());
  EXPECT_LE(*t, 200ms);
  EXPECT_GT(*t, 0ms);
  p.client->on_timeout();  // not due yet: nothing happens
  EXPECT_EQ(p.client->retransmissions(), 0);
  p.run_until_settled();
  EXPECT_EQ(p.client->state(), State::connected) << p.client->error();
  EXPECT_EQ(p.server->state(), State::connected) << p.server->error();
  EXPECT_GE(p.client->retransmissions(), 1);
  expect_matching_keys(*p.client, *p.server, SrtpProfile::aead_aes_128_gcm);
}

TEST(DtlsTransport, LostServerFlightsRecoveredByTimer) {
  DtlsPair p;
  p.client_config.initial_retransmit_timeout = 20ms;
  p.server_config.initial_retransmit_timeout = 20ms;
  // Drop the server's whole first flight and the first datagram of the
  // client's second flight.
  p.drop = [first_server_flight = std::size_t{0}](Role from, std::size_t index, const Datagram& d) mutable {
    if (from == Role::server && index < 3) return true;
    if (from == Role::client && index == 1) return true;
    (void)first_server_flight;
    (void)d;
    return false;
  };
  p.create();
  p.client->start();
  p.run_until_settled();
  EXPECT_EQ(p.client->state(), State::connected) << p.client->error();
  EXPECT_EQ(p.server->state(), State::connected) << p.server->error();
  EXPECT_GE(p.client->retransmissions() + p.server->retransmissions(), 2);
  expect_matching_keys(*p.client, *p.server, SrtpProfile::aead_aes_128_gcm);
}

TEST(DtlsTransport, RetransmissionsAreBounded) {
  DtlsPair p;
  p.client_config.initial_retransmit_timeout = 20ms;
  p.client_config.max_retransmissions = 3;
  p.drop = [](Role, std::size_t, const Datagram&) { return true; };  // black hole
  p.create();
  p.client->start();
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  int timeouts = 0;
  while (p.client->state() == State::connecting && std::chrono::steady_clock::now() < deadline) {
    auto t = p.client->next_timeout();
    ASSERT_TRUE(t.has_value());
    std::this_thread::sleep_for(*t);
    p.client->on_timeout();
    ++timeouts;
  }
  EXPECT_EQ(p.client->state(), State::failed);
  EXPECT_EQ(p.client->retransmissions(), 3);
  EXPECT_NE(p.client->error().find("timed out"), std::string::npos) << p.client->error();
  EXPECT_EQ(p.client_sent, 4u);  // ClientHello + 3 retransmissions
  EXPECT_FALSE(p.client->next_timeout().has_value());
}

std::vector<Datagram> garbage() {
  std::mt19937 rng(1234);
  std::vector<Datagram> out;
  out.push_back({});
  out.push_back({0x16});
  for (int i = 0; i < 20; ++i) {  // random bytes
    Datagram d(1 + rng() % 300);
    for (auto& b : d) b = static_cast<std::uint8_t>(rng());
    out.push_back(d);
  }
  for (int type : {20, 21, 22, 23}) {  // a plausible DTLS 1.2 record header, random body
    for (int epoch : {0, 1}) {
      Datagram d(13 + 80);
      for (auto& b : d) b = static_cast<std::uint8_t>(rng());
      d[0] = static_cast<std::uint8_t>(type);
      d[1] = 0xFE;
      d[2] = 0xFD;
      d[3] = 0;
      d[4] = static_cast<std::uint8_t>(epoch);
      d[11] = 0;
      d[12] = 80;
      out.push_back(d);
    }
  }
  Datagram big(20000, 0x17);  // larger than any DTLS record
  big[1] = 0xFE;
  big[2] = 0xFD;
  out.push_back(big);
  return out;
}

TEST(DtlsTransport, GarbageDoesNotBreakHandshakeInProgress) {
  DtlsPair p;
  p.create();
  const auto junk = garbage();
  p.client->start();
  // Interleave garbage with every real datagram, to both sides.
  for (int step = 0; step < 100 && (!p.to_server.empty() || !p.to_client.empty()); ++step) {
    for (const auto& g : junk) {
      p.server->handle_datagram(g);
      p.client->handle_datagram(g);
    }
    if (!p.to_server.empty()) {
      Datagram d = std::move(p.to_server.front());
      p.to_server.pop_front();
      p.server->handle_datagram(d);
    }
    if (!p.to_client.empty()) {
      Datagram d = std::move(p.to_client.front());
      p.to_client.pop_front();
      p.client->handle_datagram(d);
    }
  }
  EXPECT_EQ(p.client->state(), State::connected) << p.client->error();
  EXPECT_EQ(p.server->state(), State::connected) << p.server->error();
  EXPECT_GT(p.client->ignored_datagrams(), 0u);
  expect_matching_keys(*p.client, *p.server, SrtpProfile::aead_aes_128_gcm);
  // And after the handshake too.
  for (const auto& g : junk) p.client->handle_datagram(g);
  EXPECT_EQ(p.client->state(), State::connected) << p.client->error();
}

TEST(DtlsTransport, DuplicatedDatagramsAreHarmless) {
  DtlsPair p;
  p.create();
  p.client->start();
  for (int step = 0; step < 100 && (!p.to_server.empty() || !p.to_client.empty()); ++step) {
    if (!p.to_server.empty()) {
      Datagram d = std::move(p.to_server.front());
      p.to_server.pop_front();
      p.server->handle_datagram(d);
      p.server->handle_datagram(d);  // the network duplicated it
    }
    if (!p.to_client.empty()) {
      Datagram d = std::move(p.to_client.front());
      p.to_client.pop_front();
      p.client->handle_datagram(d);
      p.client->handle_datagram(d);
    }
  }
  EXPECT_EQ(p.client->state(), State::connected) << p.client->error();
  EXPECT_EQ(p.server->state(), State::connected) << p.server->error();
  expect_matching_keys(*p.client, *p.server, SrtpProfile::aead_aes_128_gcm);
}

TEST(DtlsTransport, DatagramsRespectMtu) {
  for (std::size_t mtu : {std::size_t{256}, std::size_t{300}, std::size_t{333}, std::size_t{400}, std::size_t{576},
                          std::size_t{1200}}) {
    DtlsPair p;
    p.client_config.mtu = mtu;
    p.server_config.mtu = mtu;
    p.handshake();
    ASSERT_EQ(p.client->state(), State::connected) << mtu << ": " << p.client->error();
    ASSERT_EQ(p.server->state(), State::connected) << mtu << ": " << p.server->error();
    for (const auto& d : p.all_sent) EXPECT_LE(d.size(), mtu);
  }
}

TEST(DtlsTransport, ApplicationDataAndCloseNotify) {
  DtlsPair p;
  p.handshake();
  ASSERT_EQ(p.client->state(), State::connected);
  std::vector<std::uint8_t> received;
  p.server->on_data([&](std::span<const std::uint8_t> d) { received.assign(d.begin(), d.end()); });
  const std::vector<std::uint8_t> msg{1, 2, 3, 4, 5};
  ASSERT_TRUE(p.client->send(msg).has_value());
  p.pump();
  EXPECT_EQ(received, msg);

  p.client->close();
  EXPECT_EQ(p.client->state(), State::closed);
  p.pump();
  EXPECT_EQ(p.server->state(), State::closed);
  EXPECT_FALSE(p.client->send(msg).has_value());
}

TEST(DtlsTransport, ServerStartsOnFirstDatagram) {
  DtlsPair p;
  p.create();
  p.client->start();  // server->start() never called
  p.pump();
  EXPECT_EQ(p.client->state(), State::connected) << p.client->error();
  EXPECT_EQ(p.server->state(), State::connected) << p.server->error();
}

TEST(DtlsTransport, CreateRejectsBadConfig) {
  auto send = [](std::span<const std::uint8_t>) {};
  Config c;
  EXPECT_FALSE(DtlsTransport::create(c, send).has_value());  // no certificate
  c.certificate = test::make_certificate();
  EXPECT_TRUE(DtlsTransport::create(c, send).has_value());
  EXPECT_FALSE(DtlsTransport::create(c, nullptr).has_value());
  Config small = c;
  small.mtu = 100;
  EXPECT_FALSE(DtlsTransport::create(small, send).has_value());
  Config none = c;
  none.srtp_profiles.clear();
  EXPECT_FALSE(DtlsTransport::create(none, send).has_value());
  Config fast = c;
  fast.initial_retransmit_timeout = std::chrono::milliseconds(5);
  EXPECT_FALSE(DtlsTransport::create(fast, send).has_value());
}

TEST(DtlsTransport, ProcessCertificateWorksForBothSides) {
  auto cert = Certificate::process_certificate();
  ASSERT_TRUE(cert) << cert.error();
  DtlsPair p;
  p.client_cert = *cert;
  p.client_config.certificate = *cert;
  p.server_config.remote_fingerprint = (*cert)->fingerprint();
  p.handshake();
  EXPECT_EQ(p.client->state(), State::connected) << p.client->error();
  EXPECT_EQ(p.server->state(), State::connected) << p.server->error();
}

}  // namespace
}  // namespace parley::dtls
