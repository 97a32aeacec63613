#pragma once
// Test harness: a DTLS client and server wired back to back in memory.
// Datagrams each side sends are queued and delivered by pump(); a filter can
// drop or observe them.
#include <gtest/gtest.h>

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "dtls/certificate.hpp"
#include "dtls/dtls_transport.hpp"

namespace parley::dtls::test {

using Datagram = std::vector<std::uint8_t>;

inline std::shared_ptr<const Certificate> make_certificate() {
  auto cert = Certificate::generate();
  EXPECT_TRUE(cert.has_value()) << (cert ? "" : cert.error());
  return cert ? *cert : nullptr;
}

struct DtlsPair {
  std::shared_ptr<const Certificate> client_cert = make_certificate();
  std::shared_ptr<const Certificate> server_cert = make_certificate();
  Config client_config;
  Config server_config;
  std::unique_ptr<DtlsTransport> client;
  std::unique_ptr<DtlsTransport> server;
  std::deque<Datagram> to_server;  // sent by the client, not yet delivered
  std::deque<Datagram> to_client;
  // Return true to drop a datagram; `from` is the sender's role, `index` the
  // sender's datagram count so far (0-based).
  std::function<bool(Role from, std::size_t index, const Datagram&)> drop;
  std::size_t client_sent = 0;
  std::size_t server_sent = 0;
  std::vector<Datagram> all_sent;
  std::vector<State> client_states;
  std::vector<State> server_states;

  DtlsPair() {
    client_config.role = Role::client;
    client_config.certificate = client_cert;
    client_config.remote_fingerprint = server_cert->fingerprint();
    server_config.role = Role::server;
    server_config.certificate = server_cert;
    server_config.remote_fingerprint = client_cert->fingerprint();
  }

  // Creates both transports from the configs (edit them first).
  void create() {
    auto c = DtlsTransport::create(client_config, [this](std::span<const std::uint8_t> d) {
      Datagram v(d.begin(), d.end());
      all_sent.push_back(v);
      const std::size_t i = client_sent++;
      if (drop && drop(Role::client, i, v)) return;
      to_server.push_back(std::move(v));
    });
    ASSERT_TRUE(c.has_value()) << c.error();
    client = std::move(*c);
    auto s = DtlsTransport::create(server_config, [this](std::span<const std::uint8_t> d) {
      Datagram v(d.begin(), d.end());
      all_sent.push_back(v);
      const std::size_t i = server_sent++;
      if (drop && drop(Role::server, i, v)) return;
      to_client.push_back(std::move(v));
    });
    ASSERT_TRUE(s.has_value()) << s.error();
    server = std::move(*s);
    client->on_state_change([this](State st) { client_states.push_back(st); });
    server->on_state_change([this](State st) { server_states.push_back(st); });
  }

  // Delivers queued datagrams until both queues are empty.
  void pump(int max_steps = 1000) {
    for (int i = 0; i < max_steps && (!to_server.empty() || !to_client.empty()); ++i) {
      if (!to_server.empty()) {
        Datagram d = std::move(to_server.front());
        to_server.pop_front();
        server->handle_datagram(d);
      }
      if (!to_client.empty()) {
        Datagram d = std::move(to_client.front());
        to_client.pop_front();
        client->handle_datagram(d);
      }
    }
  }

  // Runs the retransmission timers for real (short timeouts in tests) until
  // both sides settle or `limit` passes.
  void run_until_settled(std::chrono::milliseconds limit = std::chrono::seconds(5)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    pump();
    while (std::chrono::steady_clock::now() < deadline && !(settled(*client) && settled(*server))) {
      auto t1 = client->next_timeout();
      auto t2 = server->next_timeout();
      std::chrono::milliseconds wait{5};
      if (t1) wait = std::min(wait, *t1);
      if (t2) wait = std::min(wait, *t2);
      std::this_thread::sleep_for(wait);
      client->on_timeout();
      server->on_timeout();
      pump();
    }
  }

  static bool settled(const DtlsTransport& t) {
    return t.state() == State::connected || t.state() == State::failed || t.state() == State::closed;
  }

  void handshake() {
    create();
    client->start();
    server->start();
    pump();
  }
};

}  // namespace parley::dtls::test
