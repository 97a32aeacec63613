#include "rtc/sdpfrag.hpp"

namespace parley::rtc {

namespace {

bool take(std::string_view line, std::string_view prefix, std::string_view& value) {
  if (!line.starts_with(prefix)) return false;
  value = line.substr(prefix.size());
  return true;
}

}  // namespace

std::expected<SdpFragment, std::string> parse_sdpfrag(std::string_view body) {
  SdpFragment out;
  bool have_ufrag = false, have_pwd = false;
  while (!body.empty()) {
    const auto nl = body.find('\n');
    std::string_view line = body.substr(0, nl);
    body = nl == std::string_view::npos ? std::string_view() : body.substr(nl + 1);
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (line.empty()) continue;
    // RFC 8840 §9: the fragment is made of SDP lines, <type>=<value>.
    if (line.size() < 2 || line[1] != '=' || !(line[0] >= 'a' && line[0] <= 'z'))
      return std::unexpected("not an SDP line: " + std::string(line.substr(0, 64)));
    std::string_view v;
    if (take(line, "a=ice-ufrag:", v)) {
      if (have_ufrag) return std::unexpected("a=ice-ufrag repeated");
      if (!ice::is_valid_ufrag(v)) return std::unexpected("invalid a=ice-ufrag");
      out.ice.ufrag = v;
      have_ufrag = true;
    } else if (take(line, "a=ice-pwd:", v)) {
      if (have_pwd) return std::unexpected("a=ice-pwd repeated");
      if (!ice::is_valid_pwd(v)) return std::unexpected("invalid a=ice-pwd");
      out.ice.pwd = v;
      have_pwd = true;
    } else if (take(line, "a=mid:", v)) {
      out.mids.emplace_back(v);
    } else if (line.starts_with("a=candidate:")) {
      out.candidates.emplace_back(line.substr(2));
    } else if (line == "a=end-of-candidates") {
      out.end_of_candidates = true;
    }
  }
  // RFC 9725 §4.3.1: the PATCH always carries the ICE credentials, which
  // tell a restart (new ones) from trickle (the current ones).
  if (!have_ufrag || !have_pwd) return std::unexpected("a=ice-ufrag and a=ice-pwd are required");
  return out;
}

std::string write_sdpfrag(const ice::IceCredentials& local, std::string_view mid,
                          std::span<const ice::LocalCandidate> candidates) {
  std::string out = "a=ice-lite\r\n";
  out += "a=ice-ufrag:" + local.ufrag + "\r\n";
  out += "a=ice-pwd:" + local.pwd + "\r\n";
  out += "a=mid:";
  out += mid;
  out += "\r\n";
  for (const auto& c : candidates) out += "a=" + ice::to_sdp_candidate(c) + "\r\n";
  out += "a=end-of-candidates\r\n";
  return out;
}

}  // namespace parley::rtc
