#include "sfu/speaker_detector.hpp"

#include <algorithm>
#include <cmath>

namespace parley::sfu {

namespace {

constexpr double kSilenceDbov = 127;  // RFC 6464 §3: the quietest value

double energy_of(double dbov) { return std::pow(10.0, -dbov / 10.0); }

}  // namespace

void SpeakerDetector::advance(State& s, TimePoint now) const {
  // Exponential average with the input held piecewise: the last packet's
  // energy until it is `hold` old, silence after that.
  const double tau = std::chrono::duration<double>(config_.time_constant).count();
  auto step = [&](TimePoint::duration d, double input) {
    const double seconds = std::chrono::duration<double>(d).count();
    if (seconds <= 0) return;
    const double keep = tau > 0 ? std::exp(-seconds / tau) : 0.0;
    s.energy = input + (s.energy - input) * keep;
  };
  if (now <= s.updated) return;
  const TimePoint hold_end = s.last_packet + config_.hold;
  if (s.updated < hold_end) {
    const TimePoint end = std::min(now, hold_end);
    step(end - s.updated, s.last_energy);
    s.updated = end;
  }
  step(now - s.updated, 0.0);
  s.updated = now;
}

double SpeakerDetector::db_of(const State& s) const {
  if (s.energy <= energy_of(kSilenceDbov)) return kSilenceDbov;
  return std::clamp(-10.0 * std::log10(s.energy), 0.0, kSilenceDbov);
}

void SpeakerDetector::on_audio_level(SpeakerId id, rtp::AudioLevel level, TimePoint now) {
  auto [it, added] = participants_.try_emplace(id);
  State& s = it->second;
  if (added) {
    s.updated = now;
    s.last_packet = now;
  }
  advance(s, now);
  const bool silent = config_.require_voice_activity && !level.voice_activity;
  s.last_energy = silent ? 0.0 : energy_of(std::min<double>(level.level, kSilenceDbov));
  s.last_packet = now;
}

void SpeakerDetector::remove(SpeakerId id) {
  participants_.erase(id);
  if (active_ == id) active_.reset();
}

bool SpeakerDetector::update(TimePoint now) {
  for (auto& [id, s] : participants_) advance(s, now);

  const State* current = nullptr;
  if (active_) {
    const auto it = participants_.find(*active_);
    if (it != participants_.end()) current = &it->second;
  }
  const double current_db = current ? db_of(*current) : kSilenceDbov;

  std::optional<SpeakerId> best;
  double best_db = kSilenceDbov;
  for (auto& [id, s] : participants_) {
    if (id == active_) continue;
    const double db = db_of(s);
    // Speaking, and louder than the current speaker by the margin (dBov
    // counts down: louder is smaller).
    const bool qualifies = db < config_.speech_threshold_dbov &&
                           (!current || db <= current_db - config_.switch_margin_db);
    if (!qualifies) {
      s.louder_since.reset();
      continue;
    }
    if (!s.louder_since) s.louder_since = now;
    if (now - *s.louder_since < config_.min_dwell) continue;
    if (!best || db < best_db || (db == best_db && id < *best)) {
      best = id;
      best_db = db;
    }
  }
  if (!best) return false;
  active_ = best;
  for (auto& [id, s] : participants_) s.louder_since.reset();
  return true;
}

std::vector<SpeakerId> SpeakerDetector::loudest(std::size_t n) const {
  std::vector<std::pair<double, SpeakerId>> ranked;
  ranked.reserve(participants_.size());
  for (const auto& [id, s] : participants_) {
    if (id != active_) ranked.emplace_back(db_of(s), id);
  }
  std::sort(ranked.begin(), ranked.end());  // smaller dBov = louder; then by id
  std::vector<SpeakerId> out;
  out.reserve(std::min(n, participants_.size()));
  if (active_ && n > 0 && participants_.contains(*active_)) out.push_back(*active_);
  for (const auto& [db, id] : ranked) {
    if (out.size() >= n) break;
    out.push_back(id);
  }
  return out;
}

std::optional<double> SpeakerDetector::level_dbov(SpeakerId id) const {
  const auto it = participants_.find(id);
  if (it == participants_.end()) return std::nullopt;
  return db_of(it->second);
}

bool SpeakerDetector::speaking(SpeakerId id) const {
  const auto level = level_dbov(id);
  return level && *level < config_.speech_threshold_dbov;
}

}  // namespace parley::sfu
