// The SFU end to end under `parley loadtest`: a real server process, and the
// load generator as a second real process whose simulated participants
// (Parley's own WebRTC client: ICE, DTLS-SRTP, simulcast VP8 and Opus
// packets over loopback UDP) publish and subscribe in one room. Assertions
// are on counts from the generator's machine-readable last line, never on
// timings, so a slow machine only makes the figures worse, not the test red.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include "harness.hpp"

namespace parley::itest {
namespace {

struct LoadtestRun {
  int exit_code = -1;
  std::string output;
  json::object result;  // the `loadtest-result {json}` line
};

LoadtestRun run_loadtest(const ServerProcess& server, const std::vector<std::string>& args,
                         Where where = Where::current()) {
  std::string cmd = "'" + parley_bin() + "' loadtest --server http://127.0.0.1:" + std::to_string(server.port());
  for (const auto& a : args) cmd += " " + a;
  cmd += " 2>&1";
  LoadtestRun run;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (!pipe) fail_at(where, "popen failed: " + cmd);
  char buf[4096];
  while (std::fgets(buf, sizeof buf, pipe)) run.output += buf;
  const int status = ::pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::istringstream lines(run.output);
  std::string line;
  constexpr std::string_view kPrefix = "loadtest-result ";
  while (std::getline(lines, line))
    if (line.starts_with(kPrefix)) {
      auto v = json::parse(line.substr(kPrefix.size()));
      if (v.is_object()) run.result = v.as_object();
    }
  if (run.result.empty()) fail_at(where, "no loadtest-result line from: " + cmd + "\n" + run.output);
  return run;
}

std::uint64_t count(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (!v) return 0;
  if (v->is_uint64()) return v->as_uint64();
  if (v->is_int64()) return static_cast<std::uint64_t>(v->as_int64());
  if (v->is_double()) return static_cast<std::uint64_t>(v->as_double());
  return 0;
}

// 10 participants, everyone publishing (audio + 3 simulcast layers) and
// receiving everyone else: each gets 9 audio and 9 video streams, and no
// packet stays missing (loopback loses nothing that NACK/RTX cannot repair).
TEST(SfuLoadtest, TenParticipantsReceiveEveryoneWithoutLoss) {
  ServerProcess server;
  const auto run = run_loadtest(server, {"--room", "ten", "--participants", "10", "--duration", "8"});
  const auto& r = run.result;
  std::cout << run.output;
  ASSERT_EQ(run.exit_code, 0) << run.output << server.log();
  ASSERT_TRUE(r.at("ok").as_bool()) << run.output;
  const auto& per = r.at("per_participant").as_array();
  ASSERT_EQ(per.size(), 10u);
  for (const auto& p : per) {
    const auto& o = p.as_object();
    EXPECT_EQ(count(o, "audio_streams"), 9u) << dump(p);
    EXPECT_EQ(count(o, "video_streams"), 9u) << dump(p);
    EXPECT_EQ(count(o, "audio_streams_at_end"), 9u) << "10 people: every microphone is heard " << dump(p);
    EXPECT_GT(count(o, "received"), 0u) << dump(p);
  }
  EXPECT_EQ(count(r, "lost"), 0u) << run.output;
  EXPECT_GT(count(r.at("latency_ms").as_object(), "samples"), 0u);
}

// A webinar: 40 participants of whom 2 publish (audio + 3 simulcast layers)
// and 38 only watch and listen. The 38 join without a publisher connection,
// take the subscriber connection the SFU offers them, and send receiver
// reports and NACKs like everyone else. What each of them would notice:
// both speakers are seen and heard, to the end, with nothing missing; and
// each speaker sees and hears the other. (40 people is past the loudest-
// microphones threshold, but 2 speakers are fewer than the 3 it lets
// through.) Joining overlaps (--join-concurrency), which the SFU must take.
TEST(SfuLoadtest, FortyParticipantsWithTwoPublishersAllSeeAndHearBoth) {
  ServerProcess server;
  const auto run = run_loadtest(server, {"--room", "webinar", "--participants", "40", "--publishers", "2",
                                         "--join-concurrency", "8", "--duration", "5"});
  const auto& r = run.result;
  std::cout << run.output;
  ASSERT_EQ(run.exit_code, 0) << run.output << server.log();
  ASSERT_TRUE(r.at("ok").as_bool()) << run.output;
  EXPECT_EQ(count(r, "publishers"), 2u);
  const auto& per = r.at("per_participant").as_array();
  ASSERT_EQ(per.size(), 40u);
  std::size_t speakers = 0, attendees = 0;
  for (const auto& p : per) {
    const auto& o = p.as_object();
    // Everyone receives every publisher but itself: one microphone and one
    // camera each.
    const std::uint64_t others = o.at("publishes").as_bool() ? 1 : 2;
    (others == 1 ? speakers : attendees)++;
    EXPECT_EQ(count(o, "audio_streams"), others) << dump(p);
    EXPECT_EQ(count(o, "video_streams"), others) << dump(p);
    EXPECT_EQ(count(o, "audio_streams_at_end"), others) << "every speaker is heard to the end " << dump(p);
    EXPECT_GT(count(o, "received"), 0u) << dump(p);
    EXPECT_EQ(count(o, "lost"), 0u) << dump(p);
  }
  EXPECT_EQ(speakers, 2u);
  EXPECT_EQ(attendees, 38u);
  EXPECT_EQ(count(r, "lost"), 0u) << run.output;
  EXPECT_GT(count(r.at("latency_ms").as_object(), "samples"), 0u);
}

// Rooms larger than --sfu-loudest-after forward only the --sfu-loudest-audio
// loudest microphones (by default the 3 loudest of more than 20 people; here
// 3 of 6 so that two cores can run it). Every simulated participant speaks
// (audio level 30-49 dBov with the V bit), so at the end each hears the 3
// loudest others, or 2 when it is one of them itself; video is not gated.
TEST(SfuLoadtest, LargeRoomsForwardOnlyTheLoudestMicrophones) {
  ServerProcess server({"--sfu-loudest-after", "4", "--sfu-loudest-audio", "3"});
  const auto run = run_loadtest(server, {"--room", "loud", "--participants", "6", "--duration", "5"});
  std::cout << run.output;
  ASSERT_EQ(run.exit_code, 0) << run.output << server.log();
  const auto& per = run.result.at("per_participant").as_array();
  ASSERT_EQ(per.size(), 6u);
  for (const auto& p : per) {
    const auto& o = p.as_object();
    EXPECT_LE(count(o, "audio_streams_at_end"), 3u) << dump(p);
    EXPECT_GE(count(o, "audio_streams_at_end"), 2u) << dump(p);
    EXPECT_EQ(count(o, "video_streams"), 5u) << dump(p);
  }
}

// 5 % of one publisher's uplink RTP dropped: the SFU NACKs it, the publisher
// retransmits (RTX), and the subscribers see far fewer holes in its video
// than when nobody repairs (--no-nack). Audio is not NACKed (as browsers
// do not negotiate it), so only video loss is compared.
TEST(SfuLoadtest, UplinkLossIsRepairedByNackAndRtx) {
  ServerProcess server;
  const std::vector<std::string> common{"--participants", "4", "--duration", "6", "--uplink-loss", "5",
                                        "--quality", "medium"};
  auto with_args = common;
  with_args.insert(with_args.end(), {"--room", "repair"});
  const auto repaired = run_loadtest(server, with_args);
  auto without_args = common;
  without_args.insert(without_args.end(), {"--room", "norepair", "--no-nack"});
  const auto baseline = run_loadtest(server, without_args);
  std::cout << repaired.output << baseline.output;
  ASSERT_EQ(repaired.exit_code, 0) << repaired.output << server.log();
  ASSERT_EQ(baseline.exit_code, 0) << baseline.output << server.log();

  const auto lost_with = count(repaired.result, "lost_video");
  const auto lost_without = count(baseline.result, "lost_video");
  EXPECT_GT(count(repaired.result, "dropped_uplink"), 0u);
  EXPECT_GT(count(repaired.result, "retransmissions"), 0u) << repaired.output;
  EXPECT_GT(count(repaired.result, "repaired"), 0u) << repaired.output;
  // The baseline must show the loss for the comparison to mean anything.
  ASSERT_GE(lost_without, 10u) << baseline.output;
  EXPECT_LT(lost_with * 5, lost_without) << "with NACK/RTX " << lost_with << " video packets lost, without "
                                         << lost_without;
}

}  // namespace
}  // namespace parley::itest
