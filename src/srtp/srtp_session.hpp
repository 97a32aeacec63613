#pragma once
// libsrtp2 sessions for the media path.
//
// A Session protects (outbound) or unprotects (inbound) SRTP and SRTCP packets
// IN PLACE in a caller-owned buffer: the packet occupies buffer[0, len) and,
// for protect, the buffer must have room for the growth
// (ProfileInfo::rtp_overhead() / rtcp_overhead()) after it. No heap allocation
// per packet (libsrtp allocates once per new SSRC seen by a session).
//
// One inbound and one outbound session per transport (libsrtp's
// ssrc_any_inbound / ssrc_any_outbound templates); SessionPair bundles them.
// A Session is not thread-safe: it belongs to the worker that owns the
// transport. libsrtp's process-wide initialisation (srtp_init) is done once,
// thread-safely, by the first session created.
#include <cstddef>
#include <cstdint>
#include <expected>
#include <span>
#include <string_view>

#include "srtp/srtp_profile.hpp"

struct srtp_ctx_t_;  // libsrtp2's srtp_t is srtp_ctx_t_*

namespace parley::srtp {

// Outcome of an SRTP operation. The values below 100 are libsrtp's
// srtp_err_status_t values; to_string() names them ("srtp_err_status_auth_fail").
enum class Status : int {
  ok = 0,
  fail = 1,
  bad_param = 2,
  alloc_fail = 3,
  init_fail = 5,
  auth_fail = 7,
  cipher_fail = 8,
  replay_fail = 9,   // packet already seen (replayed)
  replay_old = 10,   // packet older than the replay window
  algo_fail = 11,
  no_ctx = 13,
  cant_check = 14,
  key_expired = 15,
  parse_err = 21,
  bad_mki = 25,
  pkt_idx_old = 26,
  pkt_idx_adv = 27,
  // Parley's own checks, made before libsrtp is called:
  buffer_too_small = 100,  // no room for the auth tag / SRTCP index
  invalid_length = 101,    // len shorter than a header or longer than the buffer
  wrong_direction = 102,   // protect on an inbound session or the reverse
  invalid_key = 103,       // key or salt of the wrong length for the profile
  invalid_window = 104,    // replay window outside libsrtp's limits
  not_initialized = 105,   // moved-from session
  other = 199,             // any libsrtp status not listed above
};

std::string_view to_string(Status status);

using Result = std::expected<void, Status>;

enum class Direction { inbound, outbound };

struct Options {
  // Replay window in packets. 0 = libsrtp's default (128). Video with NACK
  // retransmission wants more, e.g. 1024. libsrtp accepts 64..32767.
  std::size_t replay_window = 0;
  // Let protect_rtp accept a packet with a sequence number it already
  // protected (RTX done by resending the same packet). Off by default.
  bool allow_repeat_tx = false;
};

class Session {
 public:
  // `key` and `salt` must have the lengths of the profile (info(profile)).
  static std::expected<Session, Status> create(Direction direction, Profile profile,
                                               std::span<const std::uint8_t> key,
                                               std::span<const std::uint8_t> salt,
                                               const Options& options = {});

  Session(Session&& other) noexcept;
  Session& operator=(Session&& other) noexcept;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  ~Session();

  // Outbound only. On success len grows by info(profile()).rtp_overhead().
  Result protect_rtp(std::span<std::uint8_t> buffer, std::size_t& len);
  // Outbound only. On success len grows by info(profile()).rtcp_overhead().
  Result protect_rtcp(std::span<std::uint8_t> buffer, std::size_t& len);
  // Inbound only. On success len shrinks to the plain packet.
  Result unprotect_rtp(std::span<std::uint8_t> buffer, std::size_t& len);
  Result unprotect_rtcp(std::span<std::uint8_t> buffer, std::size_t& len);

  Profile profile() const { return profile_; }
  Direction direction() const { return direction_; }

 private:
  Session(srtp_ctx_t_* ctx, Direction direction, Profile profile)
      : ctx_(ctx), direction_(direction), profile_(profile) {}

  srtp_ctx_t_* ctx_ = nullptr;
  Direction direction_;
  Profile profile_;
};

// The two sessions of one transport: `outbound` keyed with the local master
// key/salt, `inbound` with the remote one (from DTLS-SRTP key export).
struct SessionPair {
  Session inbound;
  Session outbound;

  static std::expected<SessionPair, Status> create(Profile profile,
                                                   std::span<const std::uint8_t> local_key,
                                                   std::span<const std::uint8_t> local_salt,
                                                   std::span<const std::uint8_t> remote_key,
                                                   std::span<const std::uint8_t> remote_salt,
                                                   const Options& options = {});
};

// Initialises libsrtp once per process (thread-safe, idempotent). Called by
// Session::create; exposed for start-up code that wants to fail early.
Status initialize();

}  // namespace parley::srtp
