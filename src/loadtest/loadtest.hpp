#pragma once
// `parley loadtest`: N simulated participants (rtc::SfuParticipant, Parley's
// own WebRTC client) in one SFU room of a running server. The first
// --publishers of them (by default all) publish audio and three simulcast
// video layers; the rest only subscribe, as in a large meeting or a webinar
// where a few people speak and the others watch. Everyone receives every
// publisher but itself. Participants join --join-concurrency at a time;
// publishing starts once the room has settled (every subscriber connection
// negotiated with every publisher's tracks).
// Prints a progress line a second, then the figures: forwarded packets/s
// and bitrate, loss after repair, NACKs and retransmissions, forwarding
// latency percentiles, the server's CPU and memory (per participant too;
// loopback: its pid is found from the listening port, or given with
// --server-pid), the CPU of this generator and of everything else on the
// machine, the command line that reproduces the run, and a machine-readable
// last line `loadtest-result {json}`.
#include <boost/json/object.hpp>

#include <cstdint>
#include <iosfwd>
#include <string>

namespace CLI {
class App;
}

namespace parley::loadtest {

struct Options {
  std::string server = "http://127.0.0.1:8080";
  std::string room = "loadtest";
  int participants = 10;
  int publishers = 0;        // the first this many publish; 0: everyone
  int join_concurrency = 8;  // participants joining at the same time
  double duration = 20;     // seconds of publishing
  bool users = false;       // one registered user per participant (else one shared user)
  std::string token;        // use this token instead of registering
  double uplink_loss = 0;   // percent of participant 0's outgoing RTP dropped
  bool no_nack = false;     // nobody NACKs or answers NACKs
  int server_pid = 0;       // 0: found from the port on loopback
  std::uint64_t remb_kbps = 0;  // subscribers send REMB with this estimate
  // What every subscriber asks for of every video: low, medium, high, or
  // "server" (no subscribe message: the SFU's default, high within its
  // downlink estimate).
  std::string quality = "low";
  double connect_timeout = 15;  // seconds for joining (signaling, ICE, DTLS)
  bool progress = true;
};

void add_flags(CLI::App& cmd, Options& options);

// The command line that reproduces `options`.
std::string command_line(const Options& options);

// Runs the test; writes progress and the report to `out`. The result is the
// JSON printed on the last line. `ok` is false when a participant failed.
struct Result {
  bool ok = false;
  boost::json::object json;
};
Result run(const Options& options, std::ostream& out);

}  // namespace parley::loadtest
