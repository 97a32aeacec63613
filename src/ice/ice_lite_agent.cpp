#include "ice/ice_lite_agent.hpp"

#include <algorithm>
#include <utility>

#include "stun/attributes.hpp"
#include "stun/builder.hpp"
#include "stun/error_codes.hpp"
#include "stun/fingerprint.hpp"
#include "stun/integrity.hpp"
#include "stun/message.hpp"

namespace parley::ice {

namespace codes = stun::error_codes;

std::string_view to_string(IceState state) {
  switch (state) {
    case IceState::New: return "new";
    case IceState::Checking: return "checking";
    case IceState::Connected: return "connected";
    case IceState::Disconnected: return "disconnected";
    case IceState::Failed: return "failed";
    case IceState::Closed: return "closed";
  }
  return "unknown";
}

IceLiteAgent::IceLiteAgent(IceCredentials local, TimePoint now, IceLiteAgentConfig config)
    : config_(config), current_{std::move(local), std::nullopt},
      connect_deadline_(now + config.connect_timeout) {
  // The selected pair is never evicted, so room for one more is the minimum.
  config_.max_pairs = std::max<std::size_t>(config_.max_pairs, 2);
}

bool IceLiteAgent::set_remote_credentials(IceCredentials remote) {
  if (!is_valid(remote)) return false;
  current_.remote = std::move(remote);
  return true;
}

bool IceLiteAgent::restart(IceCredentials new_local, std::optional<IceCredentials> new_remote,
                           TimePoint now) {
  if (state_ == IceState::Closed || !is_valid(new_local)) return false;
  if (new_local.ufrag == current_.local.ufrag) return false;  // RFC 8445 §9: both change
  if (new_remote && !is_valid(*new_remote)) return false;

  if (config_.restart_overlap > Duration::zero()) {
    previous_ = std::move(current_);
    previous_until_ = now + config_.restart_overlap;
  } else {
    previous_.reset();
  }
  current_ = Generation{std::move(new_local), std::move(new_remote)};
  connect_deadline_ = now + config_.connect_timeout;

  if (state_ == IceState::Failed) {
    // Consent is gone: start from nothing.
    pairs_.clear();
    selected_.reset();
    state_ = IceState::New;
    return true;
  }
  // RFC 8445 §9: media stays on the previously selected pair until the new
  // generation selects one; the other pairs belonged to the old checklist.
  if (selected_) {
    CandidatePair kept = std::move(pairs_[*selected_]);
    pairs_.clear();
    pairs_.push_back(std::move(kept));
    selected_ = 0;
  } else {
    pairs_.clear();
  }
  return true;
}

bool IceLiteAgent::in_restart_overlap(TimePoint now) const {
  return previous_.has_value() && now < previous_until_;
}

void IceLiteAgent::expire_overlap(TimePoint now) {
  if (previous_ && now >= previous_until_) previous_.reset();
}

const CandidatePair* IceLiteAgent::selected_pair() const {
  return selected_ ? &pairs_[*selected_] : nullptr;
}

CheckResult IceLiteAgent::error(const stun::TransactionId& id, std::uint16_t code,
                                const Generation* authenticated,
                                std::vector<stun::AttributeType> unknown) {
  CheckResult result;
  stun::Builder b(stun::Method::Binding, stun::MessageClass::ErrorResponse, id);
  b.add(stun::ErrorCode{code, codes::reason_phrase(code)});
  if (!unknown.empty()) b.add(stun::UnknownAttributes{std::move(unknown)});
  // RFC 8489 §9.1.3: errors found before authentication succeeded carry no
  // MESSAGE-INTEGRITY; later ones are signed like a success response.
  if (authenticated) b.add_message_integrity(stun::short_term_key(authenticated->local.pwd));
  b.add_fingerprint();  // RFC 8445 §7
  auto bytes = b.release();
  if (!bytes) return result;  // cannot happen with these attributes; drop
  result.verdict = CheckResult::Verdict::ErrorResponse;
  result.error_code = code;
  result.response = std::move(*bytes);
  return result;
}

CandidatePair& IceLiteAgent::upsert_pair(const stun::SocketAddress& from,
                                         TransportProtocol protocol, std::uint32_t priority,
                                         TimePoint now) {
  const auto it = std::ranges::find_if(
      pairs_, [&](const CandidatePair& p) { return p.same_path(from, protocol); });
  if (it != pairs_.end()) {
    it->remote_priority = priority;
    it->consent.refresh(now);
    return *it;
  }
  if (pairs_.size() >= config_.max_pairs) {
    // Evict the non-selected pair silent for the longest.
    std::optional<std::size_t> victim;
    for (std::size_t i = 0; i < pairs_.size(); ++i) {
      if (selected_ && i == *selected_) continue;
      if (!victim ||
          pairs_[i].consent.last_valid_check() < pairs_[*victim].consent.last_valid_check()) {
        victim = i;
      }
    }
    if (victim) {
      pairs_.erase(pairs_.begin() + static_cast<std::ptrdiff_t>(*victim));
      if (selected_ && *selected_ > *victim) --*selected_;
    }
  }
  pairs_.push_back(CandidatePair{.remote = from,
                                 .protocol = protocol,
                                 .remote_priority = priority,
                                 .nominated = false,
                                 .last_nominated = {},
                                 .consent = ConsentTracker(now, config_.consent)});
  return pairs_.back();
}

CheckResult IceLiteAgent::handle_stun(std::span<const std::uint8_t> packet,
                                      const stun::SocketAddress& from, TimePoint now,
                                      TransportProtocol protocol) {
  if (state_ == IceState::Closed) return {};
  expire_overlap(now);

  // RFC 8489 §7.3: what is not a well-formed STUN message is silently dropped.
  const auto message = stun::Message::parse(packet);
  if (!message) return {};
  // A lite agent sends no requests, so it expects no responses; indications
  // are keepalives (RFC 8445 §11) and need nothing.
  if (message->method() != stun::Method::Binding ||
      message->message_class() != stun::MessageClass::Request) {
    return {};
  }
  const auto& id = message->transaction_id();

  // RFC 8489 §7.3: a wrong FINGERPRINT is dropped; a missing one is a
  // malformed ICE check (RFC 8445 §7), answered 400 (see the header).
  if (message->has(stun::AttributeType::Fingerprint)) {
    if (!stun::verify_fingerprint(*message)) return {};
  } else {
    return error(id, codes::kBadRequest, nullptr);
  }

  // RFC 8489 §9.1.3: short-term credential checks, in its order.
  if (!message->has(stun::AttributeType::Username) ||
      !message->has(stun::AttributeType::MessageIntegrity)) {
    return error(id, codes::kBadRequest, nullptr);
  }
  const auto username = message->get<stun::Username>();
  if (!username) return error(id, codes::kBadRequest, nullptr);
  const auto parts = split_username(username->value);
  if (!parts) return error(id, codes::kUnauthenticated, nullptr);

  const Generation* generation = nullptr;
  bool current = false;
  if (parts->receiver_ufrag == current_.local.ufrag) {
    generation = &current_;
    current = true;
  } else if (previous_ && parts->receiver_ufrag == previous_->local.ufrag) {
    generation = &*previous_;
  }
  if (generation == nullptr) return error(id, codes::kUnauthenticated, nullptr);
  if (generation->remote && parts->sender_ufrag != generation->remote->ufrag) {
    return error(id, codes::kUnauthenticated, nullptr);
  }
  if (!stun::verify_message_integrity(*message, stun::short_term_key(generation->local.pwd))) {
    return error(id, codes::kUnauthenticated, nullptr);
  }

  // Authenticated from here on: errors are signed.
  if (auto unknown = message->unknown_comprehension_required(); !unknown.empty()) {
    return error(id, codes::kUnknownAttribute, generation, std::move(unknown));
  }
  // RFC 8445 §7.1.1: a check MUST carry PRIORITY.
  const auto priority = message->get<stun::Priority>();
  if (!priority) return error(id, codes::kBadRequest, generation);
  const bool controlling = message->has(stun::AttributeType::IceControlling);
  const bool controlled = message->has(stun::AttributeType::IceControlled);
  const bool use_candidate = message->has(stun::AttributeType::UseCandidate);
  if ((controlling && !message->get<stun::IceControlling>()) ||
      (controlled && !message->get<stun::IceControlled>()) ||
      (use_candidate && !message->get<stun::UseCandidate>()) || (controlling && controlled)) {
    return error(id, codes::kBadRequest, generation);
  }
  // RFC 8445 §7.3.1.1: both sides think they are controlled; we cannot
  // switch (see the header), so the peer must.
  if (controlled) return error(id, codes::kRoleConflict, generation);

  // RFC 8445 §7.3.1: the success response.
  stun::Builder b(stun::Method::Binding, stun::MessageClass::SuccessResponse, id);
  b.add(stun::XorMappedAddress{from})
      .add_message_integrity(stun::short_term_key(generation->local.pwd))
      .add_fingerprint();
  auto bytes = b.release();
  if (!bytes) return {};

  CheckResult result;
  result.verdict = CheckResult::Verdict::Success;
  result.response = std::move(*bytes);
  // Consent is lost for good (RFC 7675 §5.1): answer, but only an ICE
  // restart brings the transport back.
  if (state_ == IceState::Failed) return result;

  if (current) {
    CandidatePair& pair = upsert_pair(from, protocol, priority->value, now);
    // RFC 8445 §7.3.1.5, §8.2: the most recently nominated pair is selected.
    if (use_candidate) {
      pair.nominated = true;
      pair.last_nominated = now;
      const auto index = static_cast<std::size_t>(&pair - pairs_.data());
      if (!selected_ || *selected_ != index) {
        selected_ = index;
        result.selected_pair_changed = pair;
      }
      previous_.reset();  // the new generation is up: end the restart overlap
    }
  } else {
    // Previous generation during the overlap: keeps consent of a known pair.
    const auto it = std::ranges::find_if(
        pairs_, [&](const CandidatePair& p) { return p.same_path(from, protocol); });
    if (it != pairs_.end()) it->consent.refresh(now);
  }
  result.state_changed = evaluate(now);
  return result;
}

std::optional<IceState> IceLiteAgent::set_state(IceState next) {
  if (next == state_) return std::nullopt;
  state_ = next;
  return next;
}

std::optional<IceState> IceLiteAgent::evaluate(TimePoint now) {
  if (state_ == IceState::Closed || state_ == IceState::Failed) return std::nullopt;
  if (selected_) {
    switch (pairs_[*selected_].consent.evaluate(now)) {
      case ConsentState::Fresh: return set_state(IceState::Connected);
      case ConsentState::Stale: return set_state(IceState::Disconnected);
      case ConsentState::Expired: return set_state(IceState::Failed);  // RFC 7675 §5.1
    }
  }
  if (now >= connect_deadline_) return set_state(IceState::Failed);
  if (state_ == IceState::New && !pairs_.empty()) return set_state(IceState::Checking);
  return std::nullopt;
}

std::optional<IceState> IceLiteAgent::on_tick(TimePoint now) {
  if (state_ == IceState::Closed) return std::nullopt;
  expire_overlap(now);
  // Forget pairs whose consent expired (RFC 7675), except the selected one,
  // whose expiry is the transport's failure.
  for (std::size_t i = pairs_.size(); i-- > 0;) {
    if (selected_ && i == *selected_) continue;
    if (pairs_[i].consent.evaluate(now) == ConsentState::Expired) {
      pairs_.erase(pairs_.begin() + static_cast<std::ptrdiff_t>(i));
      if (selected_ && *selected_ > i) --*selected_;
    }
  }
  return evaluate(now);
}

std::optional<IceState> IceLiteAgent::close() {
  previous_.reset();
  return set_state(IceState::Closed);
}

}  // namespace parley::ice
