#include "ice/ice_checker.hpp"

#include <gtest/gtest.h>

#include "stun/stun.hpp"
#include "test_util.hpp"

namespace parley::ice {
namespace {

using test::v4;

const IceCredentials kClient{"clnt", "clientPassword0123456789"};
const IceCredentials kServer{"srvUfrag0001", "serverPassword0123456789abcdef"};

std::vector<std::uint8_t> success_for(const stun::TransactionId& id,
                                      const stun::SocketAddress& mapped, std::string_view pwd) {
  stun::Builder b(stun::Method::Binding, stun::MessageClass::SuccessResponse, id);
  b.add(stun::XorMappedAddress{mapped}).add_message_integrity(stun::short_term_key(pwd)).add_fingerprint();
  return *b.release();
}

class IceCheckerTest : public ::testing::Test {
 protected:
  IceChecker checker_{kClient, kServer, 0x0102030405060708ull};
  stun::SocketAddress server_ = v4(198, 51, 100, 1, 40000);
  stun::SocketAddress me_ = v4(203, 0, 113, 7, 51000);
};

TEST_F(IceCheckerTest, RequestCarriesWhatRfc8445Section7_2_2Asks) {
  const auto request = checker_.build_request(server_, 0x6E0001FF, true);
  ASSERT_TRUE(request);
  const auto m = stun::Message::parse(request->bytes);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->method(), stun::Method::Binding);
  EXPECT_EQ(m->message_class(), stun::MessageClass::Request);
  EXPECT_EQ(m->transaction_id(), request->id);
  EXPECT_EQ(m->get<stun::Username>()->value, "srvUfrag0001:clnt");
  EXPECT_EQ(m->get<stun::Priority>()->value, 0x6E0001FFu);
  EXPECT_EQ(m->get<stun::IceControlling>()->value, 0x0102030405060708ull);
  EXPECT_FALSE(m->has(stun::AttributeType::IceControlled));
  EXPECT_TRUE(m->has(stun::AttributeType::UseCandidate));
  EXPECT_TRUE(stun::verify_message_integrity(*m, stun::short_term_key(kServer.pwd)));
  EXPECT_TRUE(stun::verify_fingerprint(*m));
  EXPECT_EQ(checker_.outstanding(), 1u);

  const auto plain = checker_.build_request(server_, 1, false);
  ASSERT_TRUE(plain);
  EXPECT_FALSE(stun::Message::parse(plain->bytes)->has(stun::AttributeType::UseCandidate));
  EXPECT_NE(plain->id, request->id);
}

TEST_F(IceCheckerTest, ValidResponseIsAccepted) {
  const auto request = checker_.build_request(server_, 1, true);
  const auto response = checker_.handle_response(success_for(request->id, me_, kServer.pwd), server_);
  ASSERT_TRUE(response);
  EXPECT_TRUE(response->success);
  EXPECT_TRUE(response->authenticated);
  EXPECT_TRUE(response->use_candidate);
  EXPECT_EQ(response->mapped_address, me_);
  EXPECT_EQ(response->destination, server_);
  EXPECT_EQ(checker_.outstanding(), 0u);
  // The same response again: the transaction is closed.
  EXPECT_EQ(checker_.handle_response(success_for(request->id, me_, kServer.pwd), server_).error(),
            CheckFailure::UnknownTransaction);
}

TEST_F(IceCheckerTest, TransactionIdMustMatch) {
  checker_.build_request(server_, 1, false);
  const auto stranger = stun::TransactionId::random();
  EXPECT_EQ(checker_.handle_response(success_for(stranger, me_, kServer.pwd), server_).error(),
            CheckFailure::UnknownTransaction);
  EXPECT_EQ(checker_.outstanding(), 1u);
}

TEST_F(IceCheckerTest, IntegrityWithAnotherPasswordIsIgnoredAndKeepsWaiting) {
  const auto request = checker_.build_request(server_, 1, false);
  EXPECT_EQ(
      checker_.handle_response(success_for(request->id, me_, "forgedPassword0123456789"), server_)
          .error(),
      CheckFailure::IntegrityMismatch);
  EXPECT_EQ(checker_.outstanding(), 1u);
  EXPECT_TRUE(checker_.handle_response(success_for(request->id, me_, kServer.pwd), server_));
}

TEST_F(IceCheckerTest, SuccessWithoutIntegrityIsRefused) {
  const auto request = checker_.build_request(server_, 1, false);
  stun::Builder b(stun::Method::Binding, stun::MessageClass::SuccessResponse, request->id);
  b.add(stun::XorMappedAddress{me_}).add_fingerprint();
  EXPECT_EQ(checker_.handle_response(*b.release(), server_).error(), CheckFailure::MissingIntegrity);
}

TEST_F(IceCheckerTest, MissingOrWrongFingerprintIsRefused) {
  const auto request = checker_.build_request(server_, 1, false);
  stun::Builder b(stun::Method::Binding, stun::MessageClass::SuccessResponse, request->id);
  b.add(stun::XorMappedAddress{me_}).add_message_integrity(stun::short_term_key(kServer.pwd));
  EXPECT_EQ(checker_.handle_response(*b.release(), server_).error(), CheckFailure::BadFingerprint);
  auto bytes = success_for(request->id, me_, kServer.pwd);
  bytes.back() ^= 0xFF;
  EXPECT_EQ(checker_.handle_response(bytes, server_).error(), CheckFailure::BadFingerprint);
  EXPECT_EQ(checker_.outstanding(), 1u);
}

TEST_F(IceCheckerTest, ResponseFromAnotherAddressFailsTheCheck) {
  const auto request = checker_.build_request(server_, 1, false);
  EXPECT_EQ(checker_.handle_response(success_for(request->id, me_, kServer.pwd),
                                     v4(198, 51, 100, 2, 40000))
                .error(),
            CheckFailure::WrongSource);
  EXPECT_EQ(checker_.outstanding(), 0u);
}

TEST_F(IceCheckerTest, NonResponsesAreRefused) {
  const std::vector<std::uint8_t> junk = {0x80, 0x00, 0x00, 0x00};
  EXPECT_EQ(checker_.handle_response(junk, server_).error(), CheckFailure::NotStun);
  const auto request = checker_.build_request(server_, 1, false);
  EXPECT_EQ(checker_.handle_response(request->bytes, server_).error(),
            CheckFailure::NotBindingResponse);
}

TEST_F(IceCheckerTest, OutstandingRequestsAreBoundedAndCancellable) {
  IceChecker small(kClient, kServer, 1, 4);
  std::vector<stun::TransactionId> ids;
  for (int i = 0; i < 10; ++i) ids.push_back(small.build_request(server_, 1, false)->id);
  EXPECT_EQ(small.outstanding(), 4u);
  EXPECT_EQ(small.handle_response(success_for(ids[0], me_, kServer.pwd), server_).error(),
            CheckFailure::UnknownTransaction);
  small.cancel(ids[9]);
  EXPECT_EQ(small.outstanding(), 3u);
  EXPECT_TRUE(small.handle_response(success_for(ids[8], me_, kServer.pwd), server_));
}

TEST_F(IceCheckerTest, RandomTieBreakersDiffer) {
  IceChecker a(kClient, kServer);
  IceChecker b(kClient, kServer);
  EXPECT_NE(a.tie_breaker(), b.tie_breaker());
}

}  // namespace
}  // namespace parley::ice
