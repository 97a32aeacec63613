#include "sdp/simulcast.hpp"

#include "sdp/detail/text.hpp"

namespace parley::sdp {

namespace {

std::unexpected<Error> fail(std::string message) {
  return std::unexpected(Error{0, std::move(message)});
}

// sc-str-list = sc-alt-list *( ";" sc-alt-list ); sc-alt-list = sc-id *( "," sc-id )
std::expected<std::vector<SimulcastAlternatives>, Error> parse_list(std::string_view text) {
  std::vector<SimulcastAlternatives> out;
  for (std::string_view alternatives : detail::split(text, ';')) {
    SimulcastAlternatives slot;
    for (std::string_view id : detail::split(alternatives, ',')) {
      SimulcastStream stream;
      if (id.starts_with('~')) {
        stream.paused = true;
        id.remove_prefix(1);
      }
      if (!detail::is_rid_id(id) || id.size() > 255) {
        return fail("rid " + detail::quote(id) + " is not alphanumeric, '-' or '_'");
      }
      stream.rid = id;
      slot.push_back(std::move(stream));
    }
    out.push_back(std::move(slot));
  }
  return out;
}

void append_list(std::string& out, const std::vector<SimulcastAlternatives>& list) {
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (i > 0) out += ';';
    for (std::size_t j = 0; j < list[i].size(); ++j) {
      if (j > 0) out += ',';
      if (list[i][j].paused) out += '~';
      out += list[i][j].rid;
    }
  }
}

}  // namespace

Result<Simulcast> parse_simulcast(std::string_view value) {
  auto words = detail::split_words(value);
  if (words.empty() || words.size() % 2 != 0 || words.size() > 4) {
    return fail("expected \"send <rids>\" and/or \"recv <rids>\"");
  }
  Simulcast out;
  bool seen_send = false;
  bool seen_recv = false;
  for (std::size_t i = 0; i < words.size(); i += 2) {
    bool send = words[i] == "send";
    if (!send && words[i] != "recv") {
      return fail("expected \"send\" or \"recv\", found " + detail::quote(words[i]));
    }
    bool& seen = send ? seen_send : seen_recv;
    if (seen) return fail(std::string(words[i]) + " given twice");
    seen = true;
    auto list = parse_list(words[i + 1]);
    if (!list) return std::unexpected(std::move(list.error()));
    (send ? out.send : out.recv) = std::move(*list);
  }
  return out;
}

std::string to_string(const Simulcast& simulcast) {
  std::string out;
  if (!simulcast.send.empty()) {
    out += "send ";
    append_list(out, simulcast.send);
  }
  if (!simulcast.recv.empty()) {
    if (!out.empty()) out += ' ';
    out += "recv ";
    append_list(out, simulcast.recv);
  }
  return out;
}

Simulcast reversed(const Simulcast& simulcast) { return Simulcast{simulcast.recv, simulcast.send}; }

}  // namespace parley::sdp
