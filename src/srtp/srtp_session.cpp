#include "srtp/srtp_session.hpp"

#include <srtp2/srtp.h>

#include <array>
#include <climits>
#include <cstring>
#include <mutex>
#include <utility>

#include <openssl/crypto.h>

static_assert(std::is_same_v<srtp_t, srtp_ctx_t_*>, "libsrtp's srtp_t changed");

namespace parley::srtp {
namespace {

constexpr std::size_t kRtpHeaderLength = 12;
constexpr std::size_t kRtcpHeaderLength = 8;

Status from_libsrtp(srtp_err_status_t status) {
  switch (status) {
    case srtp_err_status_ok:
    case srtp_err_status_fail:
    case srtp_err_status_bad_param:
    case srtp_err_status_alloc_fail:
    case srtp_err_status_init_fail:
    case srtp_err_status_auth_fail:
    case srtp_err_status_cipher_fail:
    case srtp_err_status_replay_fail:
    case srtp_err_status_replay_old:
    case srtp_err_status_algo_fail:
    case srtp_err_status_no_ctx:
    case srtp_err_status_cant_check:
    case srtp_err_status_key_expired:
    case srtp_err_status_parse_err:
    case srtp_err_status_bad_mki:
    case srtp_err_status_pkt_idx_old:
    case srtp_err_status_pkt_idx_adv:
      return static_cast<Status>(status);
    default:
      return Status::other;
  }
}

// Common argument checks; `growth` is what the operation may append.
Result check(srtp_ctx_t_* ctx, std::span<std::uint8_t> buffer, std::size_t len, std::size_t min_len,
             std::size_t growth) {
  if (ctx == nullptr) return std::unexpected(Status::not_initialized);
  if (len < min_len || len > buffer.size()) return std::unexpected(Status::invalid_length);
  if (buffer.size() - len < growth) return std::unexpected(Status::buffer_too_small);
  if (len + growth > static_cast<std::size_t>(INT_MAX)) return std::unexpected(Status::invalid_length);
  return {};
}

}  // namespace

std::string_view to_string(Status status) {
  switch (status) {
    case Status::ok: return "srtp_err_status_ok";
    case Status::fail: return "srtp_err_status_fail";
    case Status::bad_param: return "srtp_err_status_bad_param";
    case Status::alloc_fail: return "srtp_err_status_alloc_fail";
    case Status::init_fail: return "srtp_err_status_init_fail";
    case Status::auth_fail: return "srtp_err_status_auth_fail";
    case Status::cipher_fail: return "srtp_err_status_cipher_fail";
    case Status::replay_fail: return "srtp_err_status_replay_fail";
    case Status::replay_old: return "srtp_err_status_replay_old";
    case Status::algo_fail: return "srtp_err_status_algo_fail";
    case Status::no_ctx: return "srtp_err_status_no_ctx";
    case Status::cant_check: return "srtp_err_status_cant_check";
    case Status::key_expired: return "srtp_err_status_key_expired";
    case Status::parse_err: return "srtp_err_status_parse_err";
    case Status::bad_mki: return "srtp_err_status_bad_mki";
    case Status::pkt_idx_old: return "srtp_err_status_pkt_idx_old";
    case Status::pkt_idx_adv: return "srtp_err_status_pkt_idx_adv";
    case Status::buffer_too_small: return "buffer_too_small";
    case Status::invalid_length: return "invalid_length";
    case Status::wrong_direction: return "wrong_direction";
    case Status::invalid_key: return "invalid_key";
    case Status::invalid_window: return "invalid_window";
    case Status::not_initialized: return "not_initialized";
    case Status::other: return "srtp_err_status_other";
  }
  return "unknown";
}

Status initialize() {
  static std::once_flag once;
  static Status result = Status::ok;
  std::call_once(once, [] { result = from_libsrtp(srtp_init()); });
  return result;
}

std::expected<Session, Status> Session::create(Direction direction, Profile profile,
                                               std::span<const std::uint8_t> key,
                                               std::span<const std::uint8_t> salt,
                                               const Options& options) {
  if (Status s = initialize(); s != Status::ok) return std::unexpected(s);

  const ProfileInfo& p = info(profile);
  if (key.size() != p.key_length || salt.size() != p.salt_length) return std::unexpected(Status::invalid_key);
  if (options.replay_window != 0 && (options.replay_window < 64 || options.replay_window >= 0x8000)) {
    return std::unexpected(Status::invalid_window);
  }

  // libsrtp takes the master key and salt concatenated.
  std::array<unsigned char, 32> master{};
  std::memcpy(master.data(), key.data(), key.size());
  std::memcpy(master.data() + key.size(), salt.data(), salt.size());

  srtp_policy_t policy;
  std::memset(&policy, 0, sizeof(policy));
  apply_crypto_policy(profile, policy);
  policy.ssrc.type = direction == Direction::inbound ? ssrc_any_inbound : ssrc_any_outbound;
  policy.key = master.data();
  policy.window_size = options.replay_window;
  policy.allow_repeat_tx = options.allow_repeat_tx ? 1 : 0;
  policy.next = nullptr;

  srtp_t ctx = nullptr;
  srtp_err_status_t status = srtp_create(&ctx, &policy);
  OPENSSL_cleanse(master.data(), master.size());
  if (status != srtp_err_status_ok) {
    if (ctx != nullptr) srtp_dealloc(ctx);
    return std::unexpected(from_libsrtp(status));
  }
  return Session(ctx, direction, profile);
}

Session::Session(Session&& other) noexcept
    : ctx_(std::exchange(other.ctx_, nullptr)), direction_(other.direction_), profile_(other.profile_) {}

Session& Session::operator=(Session&& other) noexcept {
  if (this != &other) {
    if (ctx_ != nullptr) srtp_dealloc(ctx_);
    ctx_ = std::exchange(other.ctx_, nullptr);
    direction_ = other.direction_;
    profile_ = other.profile_;
  }
  return *this;
}

Session::~Session() {
  if (ctx_ != nullptr) srtp_dealloc(ctx_);
}

Result Session::protect_rtp(std::span<std::uint8_t> buffer, std::size_t& len) {
  if (direction_ != Direction::outbound) return std::unexpected(Status::wrong_direction);
  if (auto r = check(ctx_, buffer, len, kRtpHeaderLength, info(profile_).rtp_overhead()); !r) return r;
  int n = static_cast<int>(len);
  srtp_err_status_t status = srtp_protect(ctx_, buffer.data(), &n);
  if (status != srtp_err_status_ok) return std::unexpected(from_libsrtp(status));
  len = static_cast<std::size_t>(n);
  return {};
}

Result Session::protect_rtcp(std::span<std::uint8_t> buffer, std::size_t& len) {
  if (direction_ != Direction::outbound) return std::unexpected(Status::wrong_direction);
  if (auto r = check(ctx_, buffer, len, kRtcpHeaderLength, info(profile_).rtcp_overhead()); !r) return r;
  int n = static_cast<int>(len);
  srtp_err_status_t status = srtp_protect_rtcp(ctx_, buffer.data(), &n);
  if (status != srtp_err_status_ok) return std::unexpected(from_libsrtp(status));
  len = static_cast<std::size_t>(n);
  return {};
}

Result Session::unprotect_rtp(std::span<std::uint8_t> buffer, std::size_t& len) {
  if (direction_ != Direction::inbound) return std::unexpected(Status::wrong_direction);
  const std::size_t min = kRtpHeaderLength + info(profile_).rtp_overhead();
  if (auto r = check(ctx_, buffer, len, min, 0); !r) return r;
  int n = static_cast<int>(len);
  srtp_err_status_t status = srtp_unprotect(ctx_, buffer.data(), &n);
  if (status != srtp_err_status_ok) return std::unexpected(from_libsrtp(status));
  len = static_cast<std::size_t>(n);
  return {};
}

Result Session::unprotect_rtcp(std::span<std::uint8_t> buffer, std::size_t& len) {
  if (direction_ != Direction::inbound) return std::unexpected(Status::wrong_direction);
  const std::size_t min = kRtcpHeaderLength + info(profile_).rtcp_overhead();
  if (auto r = check(ctx_, buffer, len, min, 0); !r) return r;
  int n = static_cast<int>(len);
  srtp_err_status_t status = srtp_unprotect_rtcp(ctx_, buffer.data(), &n);
  if (status != srtp_err_status_ok) return std::unexpected(from_libsrtp(status));
  len = static_cast<std::size_t>(n);
  return {};
}

std::expected<SessionPair, Status> SessionPair::create(Profile profile, std::span<const std::uint8_t> local_key,
                                                       std::span<const std::uint8_t> local_salt,
                                                       std::span<const std::uint8_t> remote_key,
                                                       std::span<const std::uint8_t> remote_salt,
                                                       const Options& options) {
  auto inbound = Session::create(Direction::inbound, profile, remote_key, remote_salt, options);
  if (!inbound) return std::unexpected(inbound.error());
  auto outbound = Session::create(Direction::outbound, profile, local_key, local_salt, options);
  if (!outbound) return std::unexpected(outbound.error());
  return SessionPair{std::move(*inbound), std::move(*outbound)};
}

}  // namespace parley::srtp
