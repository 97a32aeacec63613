#include "sfu/speaker_detector.hpp"

#include <gtest/gtest.h>

#include <map>

namespace parley::sfu {
namespace {

using namespace std::chrono_literals;

const TimePoint t0{std::chrono::seconds(1000)};

// A room on a simulated clock: every participant sends an audio packet each
// 20 ms at the level set for it (-dBov; absent = sends nothing), and the
// detector is updated every 100 ms.
class Room {
 public:
  explicit Room(SpeakerDetector::Config config = {}) : detector(config) {}

  void set(SpeakerId id, std::optional<std::uint8_t> level) { levels_[id] = level; }

  void run(std::chrono::milliseconds duration) {
    const TimePoint end = now + duration;
    while (now < end) {
      now += 20ms;
      for (const auto& [id, level] : levels_) {
        if (level) detector.on_audio_level(id, rtp::AudioLevel{true, *level}, now);
      }
      if ((now - t0) % 100ms == 0ms) detector.update(now);
    }
  }

  SpeakerDetector detector;
  TimePoint now = t0;

 private:
  std::map<SpeakerId, std::optional<std::uint8_t>> levels_;
};

constexpr std::uint8_t kSilence = 127;

TEST(SpeakerDetector, NobodyIsActiveInASilentRoom) {
  Room room;
  room.set(1, kSilence);
  room.set(2, kSilence);
  room.run(3s);
  EXPECT_FALSE(room.detector.active_speaker());
  EXPECT_FALSE(room.detector.speaking(1));
  EXPECT_EQ(*room.detector.level_dbov(1), 127);
}

TEST(SpeakerDetector, BackgroundNoiseBelowTheThresholdIsNotSpeech) {
  Room room;
  room.set(1, 65);  // -65 dBov: a quiet room
  room.run(3s);
  EXPECT_FALSE(room.detector.active_speaker());
}

TEST(SpeakerDetector, FirstSpeakerTakesOverAfterTheDwellTime) {
  Room room;
  room.set(1, kSilence);
  room.set(2, 30);
  room.run(800ms);
  EXPECT_TRUE(room.detector.speaking(2));
  EXPECT_FALSE(room.detector.active_speaker()) << "not before 1 s of speech";
  room.run(400ms);
  EXPECT_EQ(room.detector.active_speaker(), 2u);
}

TEST(SpeakerDetector, ASimilarlyLoudSpeakerDoesNotTakeOver) {
  Room room;
  room.set(1, 30);
  room.run(2s);
  ASSERT_EQ(room.detector.active_speaker(), 1u);
  room.set(2, 28);  // 2 dB louder: within the margin
  room.run(10s);
  EXPECT_EQ(room.detector.active_speaker(), 1u);
}

TEST(SpeakerDetector, AClearlyLouderSpeakerTakesOverAfterTheDwellTime) {
  Room room;
  room.set(1, 35);
  room.run(2s);
  ASSERT_EQ(room.detector.active_speaker(), 1u);
  room.set(2, 20);  // 15 dB louder
  room.run(700ms);
  EXPECT_EQ(room.detector.active_speaker(), 1u) << "hysteresis: not yet";
  room.run(800ms);
  EXPECT_EQ(room.detector.active_speaker(), 2u);
}

TEST(SpeakerDetector, AShortInterjectionDoesNotStealTheSpotlight) {
  Room room;
  room.set(1, 35);
  room.run(2s);
  room.set(2, 15);  // a loud "yes!"
  room.run(300ms);
  room.set(2, kSilence);
  room.run(5s);
  EXPECT_EQ(room.detector.active_speaker(), 1u);
}

TEST(SpeakerDetector, TheLastSpeakerStaysActiveThroughSilenceThenHandsOver) {
  Room room;
  room.set(1, 30);
  room.set(2, kSilence);
  room.run(2s);
  ASSERT_EQ(room.detector.active_speaker(), 1u);
  room.set(1, kSilence);
  room.run(3s);
  EXPECT_EQ(room.detector.active_speaker(), 1u) << "nobody else spoke";
  room.set(2, 40);  // a quieter voice, but 1 is silent now
  room.run(1500ms);
  EXPECT_EQ(room.detector.active_speaker(), 2u);
}

TEST(SpeakerDetector, ParticipantsWhoStopSendingDecay) {
  Room room;
  room.set(1, 20);
  room.run(2s);
  ASSERT_TRUE(room.detector.speaking(1));
  room.set(1, std::nullopt);  // muted: no packets at all
  room.run(200ms);
  const double shortly_after = *room.detector.level_dbov(1);
  room.run(3s);
  EXPECT_FALSE(room.detector.speaking(1));
  EXPECT_GT(*room.detector.level_dbov(1), shortly_after + 20);
}

TEST(SpeakerDetector, PausesBetweenWordsDoNotEndSpeech) {
  Room room;
  room.set(1, 25);
  room.run(2s);
  room.set(1, kSilence);
  room.run(300ms);
  EXPECT_TRUE(room.detector.speaking(1));
}

TEST(SpeakerDetector, LoudestListsTheActiveSpeakerFirstThenByLevel) {
  Room room;
  room.set(1, 30);
  room.run(2s);
  ASSERT_EQ(room.detector.active_speaker(), 1u);
  room.set(2, 25);  // louder than 1 but within the margin: 1 stays active
  room.set(3, 45);
  room.set(4, 60);
  room.set(5, kSilence);
  room.run(2s);
  ASSERT_EQ(room.detector.active_speaker(), 1u);
  EXPECT_EQ(room.detector.loudest(3), (std::vector<SpeakerId>{1, 2, 3}));
  EXPECT_EQ(room.detector.loudest(1), (std::vector<SpeakerId>{1}));
  EXPECT_EQ(room.detector.loudest(10), (std::vector<SpeakerId>{1, 2, 3, 4, 5}));
  EXPECT_TRUE(room.detector.loudest(0).empty());
}

TEST(SpeakerDetector, LoudestWithoutAnActiveSpeakerAndTiesByIdentity) {
  Room room;
  room.set(7, 50);
  room.set(3, 50);
  room.set(9, 52);
  room.run(500ms);  // nobody qualifies: below the threshold
  EXPECT_FALSE(room.detector.active_speaker());
  EXPECT_EQ(room.detector.loudest(3), (std::vector<SpeakerId>{3, 7, 9}));
}

TEST(SpeakerDetector, RemovingTheActiveSpeakerClearsIt) {
  Room room;
  room.set(1, 30);
  room.run(2s);
  ASSERT_EQ(room.detector.active_speaker(), 1u);
  room.detector.remove(1);
  EXPECT_FALSE(room.detector.active_speaker());
  EXPECT_FALSE(room.detector.level_dbov(1));
  EXPECT_EQ(room.detector.size(), 0u);
}

TEST(SpeakerDetector, VoiceActivityFlagCanBeRequired) {
  SpeakerDetector::Config config;
  config.require_voice_activity = true;
  SpeakerDetector d(config);
  TimePoint now = t0;
  for (int i = 0; i < 100; ++i) {
    now += 20ms;
    d.on_audio_level(1, rtp::AudioLevel{false, 20}, now);  // loud, but no voice: music, typing
    d.on_audio_level(2, rtp::AudioLevel{true, 40}, now);
    d.update(now);
  }
  EXPECT_FALSE(d.speaking(1));
  EXPECT_EQ(d.active_speaker(), 2u);
  // The default ignores the flag (not every sender sets it).
  SpeakerDetector lax;
  lax.on_audio_level(1, rtp::AudioLevel{false, 20}, t0);
  lax.update(t0 + 20ms);
  EXPECT_TRUE(lax.speaking(1));
}

TEST(SpeakerDetector, DwellAndMarginAreConfigurable) {
  SpeakerDetector::Config config;
  config.min_dwell = 200ms;
  config.switch_margin_db = 1;
  Room room(config);
  room.set(1, 30);
  room.run(1s);
  ASSERT_EQ(room.detector.active_speaker(), 1u);
  room.set(2, 27);  // 3 dB louder: enough with a 1 dB margin
  room.run(1s);
  EXPECT_EQ(room.detector.active_speaker(), 2u);
  // The defaults (6 dB, 1 s) would never hand over to a 3 dB louder voice.
  Room strict;
  strict.set(1, 30);
  strict.run(2s);
  strict.set(2, 27);
  strict.run(5s);
  EXPECT_EQ(strict.detector.active_speaker(), 1u);
}

}  // namespace
}  // namespace parley::sfu
