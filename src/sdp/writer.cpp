#include "sdp/writer.hpp"

#include "sdp/detail/text.hpp"

namespace parley::sdp {

namespace {

class Writer {
 public:
  // <type>=<value>CRLF
  void line(char type, std::string_view value) {
    out_ += type;
    out_ += '=';
    append(value);
    out_ += "\r\n";
  }
  // a=<name>CRLF
  void attribute(std::string_view name) { line('a', name); }
  // a=<name>:<value>CRLF
  void attribute(std::string_view name, std::string_view value) {
    out_ += "a=";
    append(name);
    out_ += ':';
    append(value);
    out_ += "\r\n";
  }
  std::string take() { return std::move(out_); }

 private:
  void append(std::string_view value) {
    for (char c : value) {
      if (c != '\r' && c != '\n' && c != '\0') out_ += c;
    }
  }
  std::string out_;
};

std::string join(const std::vector<std::string>& words, char sep = ' ') {
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) out += sep;
    out += w;
  }
  return out;
}

std::string connection_text(const Connection& c) {
  return c.network_type + ' ' + c.address_type + ' ' + c.address;
}

std::string bandwidth_text(const Bandwidth& b) { return b.type + ':' + std::to_string(b.value); }

void write_lines(Writer& w, const std::vector<Line>& lines, std::string_view types, bool matching) {
  for (const auto& l : lines) {
    if ((types.find(l.type) != std::string_view::npos) == matching) w.line(l.type, l.value);
  }
}

// ICE and DTLS attributes, the same at both levels.
template <typename Level>
void write_transport(Writer& w, const Level& level) {
  if (level.ice_ufrag) w.attribute("ice-ufrag", *level.ice_ufrag);
  if (level.ice_pwd) w.attribute("ice-pwd", *level.ice_pwd);
  if (!level.ice_options.empty()) w.attribute("ice-options", join(level.ice_options));
  for (const auto& f : level.fingerprints) w.attribute("fingerprint", f.hash_function + ' ' + f.value);
  if (level.setup) w.attribute("setup", to_string(*level.setup));
}

void write_extmaps(Writer& w, const std::vector<Extmap>& extmaps) {
  for (const auto& e : extmaps) {
    std::string value = std::to_string(e.id);
    if (e.direction) {
      value += '/';
      value += to_string(*e.direction);
    }
    value += ' ';
    value += e.uri;
    if (!e.attributes.empty()) {
      value += ' ';
      value += e.attributes;
    }
    w.attribute("extmap", value);
  }
}

void write_attributes(Writer& w, const std::vector<Attribute>& attributes) {
  for (const auto& a : attributes) {
    if (a.value) {
      w.attribute(a.name, *a.value);
    } else {
      w.attribute(a.name);
    }
  }
}

void write_media(Writer& w, const MediaSection& m) {
  // m=<media> <port>[/<count>] <proto> <fmt>... (RFC 8866 §5.14)
  std::string value(m.kind_name());
  value += ' ';
  value += std::to_string(m.port);
  if (m.port_count) {
    value += '/';
    value += std::to_string(*m.port_count);
  }
  value += ' ';
  value += m.protocol;
  if (!m.formats.empty()) {
    for (const auto& f : m.formats) {
      value += ' ';
      value += f;
    }
  } else {
    for (const auto& c : m.codecs) {
      value += ' ';
      value += std::to_string(c.payload_type);
    }
  }
  w.line('m', value);
  write_lines(w, m.lines, "i", true);  // RFC 8866 §5 order: i= c= b= k=
  if (m.connection) w.line('c', connection_text(*m.connection));
  for (const auto& b : m.bandwidths) w.line('b', bandwidth_text(b));
  write_lines(w, m.lines, "i", false);

  for (const auto& c : m.candidates) w.line('a', to_string(c));
  if (m.end_of_candidates) w.attribute("end-of-candidates");
  write_transport(w, m);
  if (m.mid) w.attribute("mid", *m.mid);
  if (m.extmap_allow_mixed) w.attribute("extmap-allow-mixed");
  write_extmaps(w, m.extmaps);
  if (m.direction) w.attribute(to_string(*m.direction));
  for (const auto& msid : m.msids) {
    w.attribute("msid", msid.track_id.empty() ? msid.stream_id : msid.stream_id + ' ' + msid.track_id);
  }
  if (m.rtcp_mux) w.attribute("rtcp-mux");
  if (m.rtcp_mux_only) w.attribute("rtcp-mux-only");
  if (m.rtcp_rsize) w.attribute("rtcp-rsize");
  if (m.bundle_only) w.attribute("bundle-only");

  for (const auto& c : m.codecs) {
    std::string pt = std::to_string(c.payload_type);
    if (!c.name.empty()) {
      std::string map = pt + ' ' + c.name + '/' + std::to_string(c.clock_rate);
      if (c.channels != 0) map += '/' + std::to_string(c.channels);
      w.attribute("rtpmap", map);
    }
    for (const auto& fb : c.rtcp_fb) {
      w.attribute("rtcp-fb", pt + ' ' + fb.type + (fb.parameter.empty() ? "" : ' ' + fb.parameter));
    }
    if (std::string params = c.fmtp_text(); !params.empty()) w.attribute("fmtp", pt + ' ' + params);
  }
  for (const auto& fb : m.rtcp_fb_all) {
    w.attribute("rtcp-fb", "* " + fb.type + (fb.parameter.empty() ? "" : ' ' + fb.parameter));
  }

  for (const auto& rid : m.rids) w.attribute("rid", to_string(rid));
  if (m.simulcast && (!m.simulcast->send.empty() || !m.simulcast->recv.empty())) w.attribute("simulcast", to_string(*m.simulcast));
  for (const auto& g : m.ssrc_groups) {
    std::string group = g.semantics;
    for (auto ssrc : g.ssrcs) group += ' ' + std::to_string(ssrc);
    w.attribute("ssrc-group", group);
  }
  for (const auto& s : m.ssrcs) {
    w.attribute("ssrc", std::to_string(s.ssrc) + ' ' + s.attribute + (s.value.empty() ? "" : ':' + s.value));
  }
  if (m.sctp_port) w.attribute("sctp-port", std::to_string(*m.sctp_port));
  if (m.max_message_size) w.attribute("max-message-size", std::to_string(*m.max_message_size));
  write_attributes(w, m.attributes);
}

}  // namespace

std::string serialize(const SessionDescription& sd) {
  Writer w;
  w.line('v', "0");
  const Origin& o = sd.origin;
  w.line('o', o.username + ' ' + o.session_id + ' ' + std::to_string(o.session_version) + ' ' + o.network_type +
                  ' ' + o.address_type + ' ' + o.address);
  w.line('s', sd.session_name);
  write_lines(w, sd.lines, "iuep", true);
  if (sd.connection) w.line('c', connection_text(*sd.connection));
  for (const auto& b : sd.bandwidths) w.line('b', bandwidth_text(b));
  w.line('t', std::to_string(sd.timing.start) + ' ' + std::to_string(sd.timing.stop));
  write_lines(w, sd.lines, "trz", true);
  write_lines(w, sd.lines, "iueptrz", false);

  for (const auto& g : sd.groups) {
    std::string value = g.semantics;
    for (const auto& mid : g.mids) value += ' ' + mid;
    w.attribute("group", value);
  }
  if (sd.ice_lite) w.attribute("ice-lite");
  write_transport(w, sd);
  if (sd.extmap_allow_mixed) w.attribute("extmap-allow-mixed");
  write_extmaps(w, sd.extmaps);
  if (sd.msid_semantic) {
    // Chromium writes (and older versions require) a space after the colon.
    std::string value = ' ' + sd.msid_semantic->semantic;
    for (const auto& id : sd.msid_semantic->ids) value += ' ' + id;
    w.attribute("msid-semantic", value);
  }
  if (sd.direction) w.attribute(to_string(*sd.direction));
  if (sd.end_of_candidates) w.attribute("end-of-candidates");
  write_attributes(w, sd.attributes);

  for (const auto& m : sd.media) write_media(w, m);
  return w.take();
}

}  // namespace parley::sdp
