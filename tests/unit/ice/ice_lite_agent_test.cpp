#include "ice/ice_lite_agent.hpp"

#include <gtest/gtest.h>

#include <chrono>

#include "ice/ice_checker.hpp"
#include "stun/stun.hpp"
#include "test_util.hpp"

namespace parley::ice {
namespace {

using namespace std::chrono_literals;
using test::build_check;
using test::CheckSpec;
using test::error_code_of;
using test::v4;
using Verdict = CheckResult::Verdict;

const IceCredentials kServer{"srvUfrag0001", "serverPassword0123456789abcdef"};
const IceCredentials kBrowser{"brws", "browserPassword+/1234567"};

class IceLiteAgentTest : public ::testing::Test {
 protected:
  IceLiteAgentTest() : agent_(kServer, t0_, config()) {
    EXPECT_TRUE(agent_.set_remote_credentials(kBrowser));
  }

  static IceLiteAgentConfig config() { return {}; }

  // A well-formed check from the browser's point of view.
  CheckSpec good(bool use_candidate = false) const {
    CheckSpec spec;
    spec.username = kServer.ufrag + ":" + kBrowser.ufrag;
    spec.pwd = kServer.pwd;
    spec.use_candidate = use_candidate;
    return spec;
  }

  CheckResult send(const CheckSpec& spec, const stun::SocketAddress& from, TimePoint now) {
    return agent_.handle_stun(build_check(spec), from, now);
  }

  TimePoint t0_ = TimePoint{} + 1000s;
  stun::SocketAddress server_ = v4(198, 51, 100, 1, 40000);
  stun::SocketAddress wifi_ = v4(203, 0, 113, 7, 51000);
  stun::SocketAddress lte_ = v4(192, 0, 2, 99, 62000);
  IceLiteAgent agent_;
};

TEST_F(IceLiteAgentTest, GoodCheckIsAnsweredWithAResponseOurCheckerValidates) {
  IceChecker checker(kBrowser, kServer);
  const auto request = checker.build_request(server_, 12345, false);
  ASSERT_TRUE(request);

  const auto result = agent_.handle_stun(request->bytes, wifi_, t0_);
  ASSERT_EQ(result.verdict, Verdict::Success);

  const auto response = checker.handle_response(result.response, server_);
  ASSERT_TRUE(response) << to_string(response.error());
  EXPECT_TRUE(response->success);
  EXPECT_TRUE(response->authenticated);
  EXPECT_EQ(response->mapped_address, wifi_);
  EXPECT_EQ(response->id, request->id);
  EXPECT_EQ(checker.outstanding(), 0u);
}

TEST_F(IceLiteAgentTest, SuccessResponseCarriesXorMappedAddressIntegrityAndFingerprint) {
  const auto id = stun::TransactionId::random();
  const auto result = agent_.handle_stun(build_check(good(), id), wifi_, t0_);
  ASSERT_EQ(result.verdict, Verdict::Success);
  const auto m = stun::Message::parse(result.response);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->message_class(), stun::MessageClass::SuccessResponse);
  EXPECT_EQ(m->transaction_id(), id);
  ASSERT_TRUE(m->get<stun::XorMappedAddress>());
  EXPECT_EQ(m->get<stun::XorMappedAddress>()->address, wifi_);
  EXPECT_TRUE(stun::verify_message_integrity(*m, stun::short_term_key(kServer.pwd)));
  EXPECT_TRUE(stun::verify_fingerprint(*m));
}

TEST_F(IceLiteAgentTest, IPv6SourceIsReflected) {
  const auto from = *stun::SocketAddress::from_string("2001:db8::42", 50123);
  const auto result = send(good(), from, t0_);
  ASSERT_EQ(result.verdict, Verdict::Success);
  const auto m = stun::Message::parse(result.response);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->get<stun::XorMappedAddress>()->address, from);
}

TEST_F(IceLiteAgentTest, BadPasswordGets401WithoutIntegrity) {
  auto spec = good();
  spec.pwd = "notTheServerPassword0000000";
  const auto result = send(spec, wifi_, t0_);
  ASSERT_EQ(result.verdict, Verdict::ErrorResponse);
  EXPECT_EQ(result.error_code, 401);
  EXPECT_EQ(error_code_of(result.response), 401);
  const auto m = stun::Message::parse(result.response);
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->has(stun::AttributeType::MessageIntegrity));
  EXPECT_TRUE(stun::verify_fingerprint(*m));
  EXPECT_TRUE(agent_.pairs().empty());
  EXPECT_EQ(agent_.state(), IceState::New);
}

TEST_F(IceLiteAgentTest, BadPasswordSeenByOurCheckerAsUnauthenticated401) {
  IceChecker checker(kBrowser, IceCredentials{kServer.ufrag, "wrongPasswordwrongPassword"});
  const auto request = checker.build_request(server_, 1, false);
  ASSERT_TRUE(request);
  const auto result = agent_.handle_stun(request->bytes, wifi_, t0_);
  const auto response = checker.handle_response(result.response, server_);
  ASSERT_TRUE(response);
  EXPECT_FALSE(response->success);
  EXPECT_FALSE(response->authenticated);
  EXPECT_EQ(response->error_code, 401);
}

TEST_F(IceLiteAgentTest, WrongLocalUfragGets401) {
  auto spec = good();
  spec.username = "someoneElse:" + kBrowser.ufrag;
  EXPECT_EQ(send(spec, wifi_, t0_).error_code, 401);
}

TEST_F(IceLiteAgentTest, WrongRemoteUfragGets401) {
  auto spec = good();
  spec.username = kServer.ufrag + ":intruder";
  EXPECT_EQ(send(spec, wifi_, t0_).error_code, 401);
}

TEST_F(IceLiteAgentTest, UsernameWithoutColonGets401) {
  auto spec = good();
  spec.username = kServer.ufrag;
  EXPECT_EQ(send(spec, wifi_, t0_).error_code, 401);
}

TEST_F(IceLiteAgentTest, AnyRemoteUfragAcceptedUntilRemoteCredentialsAreKnown) {
  IceLiteAgent early(kServer, t0_);
  auto spec = good();
  spec.username = kServer.ufrag + ":whoever";
  EXPECT_EQ(early.handle_stun(build_check(spec), wifi_, t0_).verdict, Verdict::Success);
  ASSERT_TRUE(early.set_remote_credentials(kBrowser));
  EXPECT_EQ(early.handle_stun(build_check(spec), wifi_, t0_).error_code, 401);
  EXPECT_EQ(early.handle_stun(build_check(good()), wifi_, t0_).verdict, Verdict::Success);
}

TEST_F(IceLiteAgentTest, InvalidRemoteCredentialsRefused) {
  EXPECT_FALSE(agent_.set_remote_credentials({"abc", "short"}));
  EXPECT_FALSE(agent_.set_remote_credentials({"ab:cd", "0123456789012345678901234"}));
  EXPECT_EQ(agent_.remote_credentials(), kBrowser);
}

TEST_F(IceLiteAgentTest, MissingFingerprintGets400) {
  auto spec = good();
  spec.fingerprint = false;
  const auto result = send(spec, wifi_, t0_);
  EXPECT_EQ(result.verdict, Verdict::ErrorResponse);
  EXPECT_EQ(result.error_code, 400);
  EXPECT_EQ(error_code_of(result.response), 400);
}

TEST_F(IceLiteAgentTest, MissingMessageIntegrityGets400) {
  auto spec = good();
  spec.pwd.reset();
  const auto result = send(spec, wifi_, t0_);
  EXPECT_EQ(result.error_code, 400);
  const auto m = stun::Message::parse(result.response);
  ASSERT_TRUE(m);
  EXPECT_FALSE(m->has(stun::AttributeType::MessageIntegrity));
}

TEST_F(IceLiteAgentTest, MissingUsernameGets400) {
  auto spec = good();
  spec.username.reset();
  EXPECT_EQ(send(spec, wifi_, t0_).error_code, 400);
}

TEST_F(IceLiteAgentTest, MissingPriorityGetsSigned400) {
  auto spec = good();
  spec.priority.reset();
  const auto result = send(spec, wifi_, t0_);
  EXPECT_EQ(result.error_code, 400);
  const auto m = stun::Message::parse(result.response);
  ASSERT_TRUE(m);
  EXPECT_TRUE(stun::verify_message_integrity(*m, stun::short_term_key(kServer.pwd)));
}

TEST_F(IceLiteAgentTest, WrongFingerprintIsDropped) {
  auto bytes = build_check(good());
  bytes.back() ^= 0x01;  // last byte of the FINGERPRINT value
  const auto result = agent_.handle_stun(bytes, wifi_, t0_);
  EXPECT_EQ(result.verdict, Verdict::Dropped);
  EXPECT_TRUE(result.response.empty());
}

TEST_F(IceLiteAgentTest, GarbageIndicationsAndResponsesAreDropped) {
  const std::vector<std::uint8_t> garbage = {0x00, 0x01, 0x02, 0x03, 0x04};
  EXPECT_EQ(agent_.handle_stun(garbage, wifi_, t0_).verdict, Verdict::Dropped);
  EXPECT_EQ(agent_.handle_stun({}, wifi_, t0_).verdict, Verdict::Dropped);
  auto indication = good();
  indication.message_class = stun::MessageClass::Indication;
  EXPECT_EQ(send(indication, wifi_, t0_).verdict, Verdict::Dropped);
  auto response = good();
  response.message_class = stun::MessageClass::SuccessResponse;
  EXPECT_EQ(send(response, wifi_, t0_).verdict, Verdict::Dropped);
  EXPECT_TRUE(agent_.pairs().empty());
}

TEST_F(IceLiteAgentTest, UnknownComprehensionRequiredAttributeGets420) {
  auto spec = good();
  spec.unknown_required_attribute = 0x0031;
  const auto result = send(spec, wifi_, t0_);
  EXPECT_EQ(result.error_code, 420);
  const auto m = stun::Message::parse(result.response);
  ASSERT_TRUE(m);
  const auto unknown = m->get<stun::UnknownAttributes>();
  ASSERT_TRUE(unknown);
  ASSERT_EQ(unknown->types.size(), 1u);
  EXPECT_EQ(std::to_underlying(unknown->types[0]), 0x0031);
  EXPECT_TRUE(stun::verify_message_integrity(*m, stun::short_term_key(kServer.pwd)));
}

TEST_F(IceLiteAgentTest, IceControlledFromPeerGetsSigned487AndNoPair) {
  auto spec = good(true);
  spec.controlling.reset();
  spec.controlled = 0xFFFFFFFFFFFFFFFFull;  // even the largest tie-breaker: we cannot switch
  const auto result = send(spec, wifi_, t0_);
  EXPECT_EQ(result.error_code, 487);
  const auto m = stun::Message::parse(result.response);
  ASSERT_TRUE(m);
  EXPECT_TRUE(stun::verify_message_integrity(*m, stun::short_term_key(kServer.pwd)));
  EXPECT_TRUE(agent_.pairs().empty());
  EXPECT_EQ(agent_.selected_pair(), nullptr);
}

TEST_F(IceLiteAgentTest, OurCheckerSwitchesToControlledOn487) {
  // A checker that wrongly believes it is controlled cannot happen from
  // build_request, so craft the 487 the agent would send to a controlling one.
  IceChecker checker(kBrowser, kServer, 7);
  const auto request = checker.build_request(server_, 1, true);
  ASSERT_TRUE(request);
  stun::Builder b(stun::Method::Binding, stun::MessageClass::ErrorResponse, request->id);
  b.add(stun::ErrorCode{487, "Role Conflict"})
      .add_message_integrity(stun::short_term_key(kServer.pwd))
      .add_fingerprint();
  const auto bytes = b.release();
  ASSERT_TRUE(bytes);
  const auto response = checker.handle_response(*bytes, server_);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->error_code, 487);
  EXPECT_EQ(checker.role(), IceRole::Controlled);
  // A controlled agent sends ICE-CONTROLLED, which this lite agent refuses.
  const auto next = checker.build_request(server_, 1, true);
  ASSERT_TRUE(next);
  EXPECT_EQ(agent_.handle_stun(next->bytes, wifi_, t0_).error_code, 487);
}

TEST_F(IceLiteAgentTest, BothRoleAttributesGet400) {
  auto spec = good();
  spec.controlled = 5;
  EXPECT_EQ(send(spec, wifi_, t0_).error_code, 400);
}

TEST_F(IceLiteAgentTest, CheckWithoutNominationMakesAPairButSelectsNothing) {
  const auto result = send(good(false), wifi_, t0_);
  EXPECT_EQ(result.verdict, Verdict::Success);
  EXPECT_FALSE(result.selected_pair_changed);
  EXPECT_EQ(result.state_changed, IceState::Checking);
  ASSERT_EQ(agent_.pairs().size(), 1u);
  EXPECT_EQ(agent_.pairs()[0].remote, wifi_);
  EXPECT_EQ(agent_.selected_pair(), nullptr);
}

TEST_F(IceLiteAgentTest, UseCandidateSelectsThePair) {
  send(good(false), wifi_, t0_);
  const auto result = send(good(true), wifi_, t0_ + 50ms);
  ASSERT_TRUE(result.selected_pair_changed);
  EXPECT_EQ(result.selected_pair_changed->remote, wifi_);
  EXPECT_TRUE(result.selected_pair_changed->nominated);
  EXPECT_EQ(result.state_changed, IceState::Connected);
  ASSERT_NE(agent_.selected_pair(), nullptr);
  EXPECT_EQ(agent_.selected_pair()->remote, wifi_);
  EXPECT_EQ(agent_.state(), IceState::Connected);

  // Nominating the same pair again changes nothing.
  const auto again = send(good(true), wifi_, t0_ + 1s);
  EXPECT_FALSE(again.selected_pair_changed);
  EXPECT_FALSE(again.state_changed);
}

TEST_F(IceLiteAgentTest, OurCheckerNominationSelectsThePair) {
  IceChecker checker(kBrowser, kServer);
  const auto request = checker.build_request(server_, 99, true);
  ASSERT_TRUE(request);
  const auto result = agent_.handle_stun(request->bytes, lte_, t0_);
  ASSERT_TRUE(result.selected_pair_changed);
  EXPECT_EQ(result.selected_pair_changed->remote, lte_);
  EXPECT_EQ(result.selected_pair_changed->remote_priority, 99u);
}

TEST_F(IceLiteAgentTest, AddressNominatedLaterBecomesSelected) {
  send(good(true), wifi_, t0_);
  ASSERT_EQ(agent_.selected_pair()->remote, wifi_);

  // The browser moves to LTE: checks first, then nominates.
  const auto check = send(good(false), lte_, t0_ + 5s);
  EXPECT_FALSE(check.selected_pair_changed);
  EXPECT_EQ(agent_.selected_pair()->remote, wifi_);
  const auto nominate = send(good(true), lte_, t0_ + 5s + 20ms);
  ASSERT_TRUE(nominate.selected_pair_changed);
  EXPECT_EQ(nominate.selected_pair_changed->remote, lte_);
  EXPECT_EQ(agent_.selected_pair()->remote, lte_);

  // A late consent check on the old path does not move the selection back.
  EXPECT_FALSE(send(good(false), wifi_, t0_ + 6s).selected_pair_changed);
  EXPECT_EQ(agent_.selected_pair()->remote, lte_);
  // But nominating it again does: most recent nomination wins.
  const auto back = send(good(true), wifi_, t0_ + 7s);
  ASSERT_TRUE(back.selected_pair_changed);
  EXPECT_EQ(back.selected_pair_changed->remote, wifi_);
}

TEST_F(IceLiteAgentTest, TcpAndUdpFromTheSameAddressAreDistinctPairs) {
  agent_.handle_stun(build_check(good(true)), wifi_, t0_, TransportProtocol::Udp);
  const auto tcp = agent_.handle_stun(build_check(good(true)), wifi_, t0_ + 1s,
                                      TransportProtocol::Tcp);
  ASSERT_TRUE(tcp.selected_pair_changed);
  EXPECT_EQ(tcp.selected_pair_changed->protocol, TransportProtocol::Tcp);
  EXPECT_EQ(agent_.pairs().size(), 2u);
}

TEST_F(IceLiteAgentTest, PairTableIsBoundedAndKeepsTheSelectedPair) {
  send(good(true), wifi_, t0_);
  for (std::uint16_t port = 1; port <= 200; ++port) {
    send(good(false), v4(10, 0, 0, 1, port), t0_ + std::chrono::milliseconds(port));
  }
  EXPECT_LE(agent_.pairs().size(), IceLiteAgentConfig{}.max_pairs);
  ASSERT_NE(agent_.selected_pair(), nullptr);
  EXPECT_EQ(agent_.selected_pair()->remote, wifi_);
  // The most recent ones survived.
  EXPECT_EQ(agent_.pairs().back().remote, v4(10, 0, 0, 1, 200));
}

TEST_F(IceLiteAgentTest, ConsentLapsesToDisconnectedThenFailedWithoutChecks) {
  send(good(true), wifi_, t0_);
  ASSERT_EQ(agent_.state(), IceState::Connected);
  EXPECT_FALSE(agent_.on_tick(t0_ + 9s));
  EXPECT_EQ(agent_.on_tick(t0_ + 10s), IceState::Disconnected);
  EXPECT_FALSE(agent_.on_tick(t0_ + 29s));
  EXPECT_EQ(agent_.on_tick(t0_ + 30s), IceState::Failed);
  EXPECT_EQ(agent_.state(), IceState::Failed);

  // Failed is final until a restart: a late check is answered but changes nothing.
  const auto late = send(good(true), lte_, t0_ + 31s);
  EXPECT_EQ(late.verdict, Verdict::Success);
  EXPECT_FALSE(late.selected_pair_changed);
  EXPECT_FALSE(late.state_changed);
  EXPECT_EQ(agent_.state(), IceState::Failed);
}

TEST_F(IceLiteAgentTest, DirectJumpPastThirtySecondsFails) {
  send(good(true), wifi_, t0_);
  EXPECT_EQ(agent_.on_tick(t0_ + 45s), IceState::Failed);
}

TEST_F(IceLiteAgentTest, ConsentChecksKeepTheTransportAlive) {
  send(good(true), wifi_, t0_);
  for (int s = 5; s <= 300; s += 5) {
    send(good(false), wifi_, t0_ + std::chrono::seconds(s));
    EXPECT_FALSE(agent_.on_tick(t0_ + std::chrono::seconds(s) + 1s)) << s;
  }
  EXPECT_EQ(agent_.state(), IceState::Connected);
}

TEST_F(IceLiteAgentTest, CheckWhileDisconnectedReconnects) {
  send(good(true), wifi_, t0_);
  EXPECT_EQ(agent_.on_tick(t0_ + 12s), IceState::Disconnected);
  const auto result = send(good(false), wifi_, t0_ + 13s);
  EXPECT_EQ(result.state_changed, IceState::Connected);
}

TEST_F(IceLiteAgentTest, ChecksOnAnotherPairDoNotKeepTheSelectedOneAlive) {
  send(good(true), wifi_, t0_);
  // State changes are reported by whichever call notices them first.
  std::optional<IceState> seen;
  for (int s = 5; s <= 25; s += 5) {
    const auto r = send(good(false), lte_, t0_ + std::chrono::seconds(s));
    if (r.state_changed) seen = r.state_changed;
  }
  EXPECT_EQ(seen, IceState::Disconnected);
  EXPECT_EQ(agent_.on_tick(t0_ + 30s), IceState::Failed);
}

TEST_F(IceLiteAgentTest, SilentUnselectedPairsAreForgotten) {
  send(good(true), wifi_, t0_);
  send(good(false), lte_, t0_);
  for (int s = 5; s <= 40; s += 5) send(good(false), wifi_, t0_ + std::chrono::seconds(s));
  agent_.on_tick(t0_ + 40s);
  ASSERT_EQ(agent_.pairs().size(), 1u);
  EXPECT_EQ(agent_.pairs()[0].remote, wifi_);
  EXPECT_EQ(agent_.selected_pair()->remote, wifi_);
}

TEST_F(IceLiteAgentTest, NoNominationWithinConnectTimeoutFails) {
  send(good(false), wifi_, t0_ + 1s);
  EXPECT_FALSE(agent_.on_tick(t0_ + 29s));
  EXPECT_EQ(agent_.on_tick(t0_ + 30s), IceState::Failed);
}

TEST_F(IceLiteAgentTest, CloseIsFinalAndDropsEverything) {
  send(good(true), wifi_, t0_);
  EXPECT_EQ(agent_.close(), IceState::Closed);
  EXPECT_EQ(send(good(true), wifi_, t0_).verdict, Verdict::Dropped);
  EXPECT_FALSE(agent_.on_tick(t0_ + 60s));
  EXPECT_FALSE(agent_.close());
}

// ICE restart (RFC 8445 §9).

const IceCredentials kServer2{"srvUfrag0002", "serverPassword2x3456789abcdefgh"};
const IceCredentials kBrowser2{"brw2", "browserPassword2+/234567"};

CheckSpec check_with(const IceCredentials& server, const IceCredentials& browser,
                     bool use_candidate = false) {
  CheckSpec spec;
  spec.username = server.ufrag + ":" + browser.ufrag;
  spec.pwd = server.pwd;
  spec.use_candidate = use_candidate;
  return spec;
}

TEST(IceRestartTest, OldCredentialsRefusedAfterRestartNewAccepted) {
  const TimePoint t0 = TimePoint{} + 100s;
  IceLiteAgentConfig config;
  config.restart_overlap = Duration::zero();
  IceLiteAgent agent(kServer, t0, config);
  ASSERT_TRUE(agent.set_remote_credentials(kBrowser));
  const auto addr = v4(203, 0, 113, 7, 51000);
  ASSERT_EQ(agent.handle_stun(build_check(check_with(kServer, kBrowser, true)), addr, t0).verdict,
            CheckResult::Verdict::Success);

  ASSERT_TRUE(agent.restart(kServer2, kBrowser2, t0 + 1s));
  EXPECT_EQ(agent.local_credentials(), kServer2);
  EXPECT_EQ(agent.handle_stun(build_check(check_with(kServer, kBrowser)), addr, t0 + 1s).error_code,
            401);
  // Old server credentials with the new browser ufrag, and the reverse: 401 too.
  EXPECT_EQ(agent.handle_stun(build_check(check_with(kServer, kBrowser2)), addr, t0 + 1s).error_code,
            401);
  EXPECT_EQ(agent.handle_stun(build_check(check_with(kServer2, kBrowser)), addr, t0 + 1s).error_code,
            401);
  const auto fresh = agent.handle_stun(build_check(check_with(kServer2, kBrowser2)), addr, t0 + 1s);
  EXPECT_EQ(fresh.verdict, CheckResult::Verdict::Success);
  const auto m = stun::Message::parse(fresh.response);
  ASSERT_TRUE(m);
  EXPECT_TRUE(stun::verify_message_integrity(*m, stun::short_term_key(kServer2.pwd)));
}

TEST(IceRestartTest, OverlapAcceptsOldCredentialsBrieflyWithoutNominating) {
  const TimePoint t0 = TimePoint{} + 100s;
  IceLiteAgent agent(kServer, t0);  // default overlap: 5 s
  ASSERT_TRUE(agent.set_remote_credentials(kBrowser));
  const auto wifi = v4(203, 0, 113, 7, 51000);
  const auto lte = v4(192, 0, 2, 99, 62000);
  agent.handle_stun(build_check(check_with(kServer, kBrowser, true)), wifi, t0);

  // Restart before the browser's new credentials are known (we made the offer).
  ASSERT_TRUE(agent.restart(kServer2, std::nullopt, t0 + 10s));
  EXPECT_TRUE(agent.in_restart_overlap(t0 + 10s));
  ASSERT_NE(agent.selected_pair(), nullptr);  // media stays on the old pair
  EXPECT_EQ(agent.state(), IceState::Connected);

  // Old-generation consent check: answered with the old password.
  const auto old_check =
      agent.handle_stun(build_check(check_with(kServer, kBrowser)), wifi, t0 + 12s);
  ASSERT_EQ(old_check.verdict, CheckResult::Verdict::Success);
  const auto m = stun::Message::parse(old_check.response);
  ASSERT_TRUE(m);
  EXPECT_TRUE(stun::verify_message_integrity(*m, stun::short_term_key(kServer.pwd)));
  // ...but an old-generation nomination does not move the selection.
  const auto old_nomination =
      agent.handle_stun(build_check(check_with(kServer, kBrowser, true)), lte, t0 + 12s);
  EXPECT_EQ(old_nomination.verdict, CheckResult::Verdict::Success);
  EXPECT_FALSE(old_nomination.selected_pair_changed);
  EXPECT_EQ(agent.selected_pair()->remote, wifi);

  // After the overlap the old credentials are refused.
  EXPECT_FALSE(agent.in_restart_overlap(t0 + 15s));
  EXPECT_EQ(agent.handle_stun(build_check(check_with(kServer, kBrowser)), wifi, t0 + 15s).error_code,
            401);

  // New generation: any browser ufrag until its SDP arrives, then nomination.
  const auto nominated =
      agent.handle_stun(build_check(check_with(kServer2, kBrowser2, true)), lte, t0 + 16s);
  ASSERT_TRUE(nominated.selected_pair_changed);
  EXPECT_EQ(nominated.selected_pair_changed->remote, lte);
  ASSERT_TRUE(agent.set_remote_credentials(kBrowser2));
}

TEST(IceRestartTest, NewGenerationNominationEndsTheOverlapEarly) {
  const TimePoint t0 = TimePoint{} + 100s;
  IceLiteAgent agent(kServer, t0);
  ASSERT_TRUE(agent.set_remote_credentials(kBrowser));
  const auto wifi = v4(203, 0, 113, 7, 51000);
  agent.handle_stun(build_check(check_with(kServer, kBrowser, true)), wifi, t0);
  ASSERT_TRUE(agent.restart(kServer2, kBrowser2, t0 + 1s));
  const auto nominated =
      agent.handle_stun(build_check(check_with(kServer2, kBrowser2, true)), wifi, t0 + 1500ms);
  EXPECT_EQ(nominated.verdict, CheckResult::Verdict::Success);
  EXPECT_FALSE(nominated.selected_pair_changed);  // same path as before
  EXPECT_FALSE(agent.in_restart_overlap(t0 + 1500ms));
  EXPECT_EQ(agent.handle_stun(build_check(check_with(kServer, kBrowser)), wifi, t0 + 2s).error_code,
            401);
}

TEST(IceRestartTest, RestartRecoversAFailedTransport) {
  const TimePoint t0 = TimePoint{} + 100s;
  IceLiteAgent agent(kServer, t0);
  ASSERT_TRUE(agent.set_remote_credentials(kBrowser));
  const auto wifi = v4(203, 0, 113, 7, 51000);
  agent.handle_stun(build_check(check_with(kServer, kBrowser, true)), wifi, t0);
  ASSERT_EQ(agent.on_tick(t0 + 31s), IceState::Failed);
  ASSERT_TRUE(agent.restart(kServer2, kBrowser2, t0 + 32s));
  EXPECT_EQ(agent.state(), IceState::New);
  EXPECT_EQ(agent.selected_pair(), nullptr);
  const auto result =
      agent.handle_stun(build_check(check_with(kServer2, kBrowser2, true)), wifi, t0 + 33s);
  ASSERT_TRUE(result.selected_pair_changed);
  EXPECT_EQ(result.state_changed, IceState::Connected);
}

TEST(IceRestartTest, InvalidOrUnchangedCredentialsRefused) {
  const TimePoint t0 = TimePoint{} + 100s;
  IceLiteAgent agent(kServer, t0);
  EXPECT_FALSE(agent.restart(kServer, kBrowser, t0));               // same ufrag
  EXPECT_FALSE(agent.restart({"ab", "x"}, kBrowser, t0));           // invalid local
  EXPECT_FALSE(agent.restart(kServer2, IceCredentials{"a", "b"}, t0));  // invalid remote
  EXPECT_EQ(agent.local_credentials(), kServer);
  EXPECT_TRUE(agent.restart(generate_credentials(), std::nullopt, t0));
}

}  // namespace
}  // namespace parley::ice
