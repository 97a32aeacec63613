#pragma once

// Who is speaking, from the audio level header extension every browser puts
// on its Opus packets (RFC 6464 §3: level in -dBov, 0 loudest, 127 silence,
// plus the V bit of its voice activity detector), so the SFU never decodes
// audio. Used to highlight the active speaker, to give its video priority
// (BandwidthAllocator) and, in large rooms, to forward only the few loudest
// audio streams (loudest(n)).
//
// Per participant the level is smoothed as energy (10^(-dBov/10)), an
// exponential average over time: one loud packet does not make a speaker,
// and the gaps between words do not make silence (energy rises quickly and
// falls slowly, like the ear's impression of loudness). A packet's level
// holds for a short while; a participant who sends nothing (muted, DTX,
// gone) decays towards silence.
//
// Hysteresis: another participant becomes the active speaker only after it
// has been speaking (above the threshold) AND louder than the current one by
// a margin for a dwell time, so a cough or a short "yes" does not steal the
// spotlight and two people talking alike do not flip it back and forth. A
// speaker who stops stays active until someone else qualifies.

#include <chrono>
#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

#include "rtp/header_extensions.hpp"

namespace parley::sfu {

using TimePoint = std::chrono::steady_clock::time_point;
using SpeakerId = std::uint64_t;  // the caller's handle for a participant

class SpeakerDetector {
 public:
  struct Config {
    std::chrono::microseconds time_constant{300'000};  // of the energy average
    std::chrono::microseconds hold{200'000};     // how long one packet's level counts
    double speech_threshold_dbov = 50;           // louder than -50 dBov is speech
    double switch_margin_db = 6;                 // a new speaker must be this much louder
    std::chrono::microseconds min_dwell{1'000'000};  // ... for this long
    bool require_voice_activity = false;  // count packets without the V bit as silence
  };

  SpeakerDetector() : SpeakerDetector(Config{}) {}
  explicit SpeakerDetector(const Config& config) : config_(config) {}

  // One packet's RFC 6464 value. A participant is added on its first packet.
  void on_audio_level(SpeakerId id, rtp::AudioLevel level, TimePoint now);
  void remove(SpeakerId id);

  // Brings every participant's level to `now` and re-decides the active
  // speaker; call it periodically (e.g. every 100-300 ms). True if the
  // active speaker changed.
  bool update(TimePoint now);

  std::optional<SpeakerId> active_speaker() const { return active_; }
  // Up to n participants, the active speaker first, then by smoothed level
  // as of the last update(), loudest first; equal levels by id.
  std::vector<SpeakerId> loudest(std::size_t n) const;
  // The smoothed level in -dBov (0 loudest, 127 silence) as of the last
  // update() or packet; nullopt for an unknown participant.
  std::optional<double> level_dbov(SpeakerId id) const;
  bool speaking(SpeakerId id) const;
  std::size_t size() const { return participants_.size(); }

 private:
  struct State {
    double energy = 0;       // smoothed
    double last_energy = 0;  // of the last packet
    TimePoint updated;       // `energy` is as of this time
    TimePoint last_packet;
    std::optional<TimePoint> louder_since;  // qualifying as the next speaker since
  };

  void advance(State& s, TimePoint now) const;
  double db_of(const State& s) const;

  Config config_;
  std::unordered_map<SpeakerId, State> participants_;
  std::optional<SpeakerId> active_;
};

}  // namespace parley::sfu
