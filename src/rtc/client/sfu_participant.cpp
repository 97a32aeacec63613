#include "rtc/client/sfu_participant.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <thread>

#include "rtc/answer.hpp"
#include "rtp/rtcp_feedback.hpp"
#include "rtp/rtcp_packet.hpp"
#include "rtp/rtcp_reports.hpp"
#include "rtp/rtp_packet.hpp"
#include "rtp/vp8.hpp"
#include "sdp/parser.hpp"
#include "sdp/writer.hpp"

namespace parley::rtc {

namespace json = boost::json;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

namespace {

// Our publisher's extension ids (one space for the BUNDLE, RFC 8843 §9.2).
constexpr std::uint8_t kAudioLevelId = 1;
constexpr std::uint8_t kTransportCcId = 3;
constexpr std::uint8_t kMidId = 4;
constexpr std::uint8_t kRidId = 10;
constexpr std::uint8_t kRepairedRidId = 11;
constexpr std::uint8_t kOpusPt = 111;
constexpr std::uint8_t kVp8Pt = 96;
constexpr std::uint8_t kRtxPt = 97;
constexpr std::size_t kHistory = 512;  // packets per layer kept for NACKs
constexpr int kSocketBuffer = 2 << 20;
constexpr auto kNackInterval = milliseconds(20);
constexpr auto kNackFirstDelay = milliseconds(5);
constexpr auto kNackRetry = milliseconds(40);
constexpr int kNackMaxTries = 10;
constexpr auto kGiveUp = milliseconds(1500);  // a gap open this long is loss
constexpr auto kReceiveBatch = milliseconds(10);  // longest sleep between receives

std::int64_t now_us(Clock::time_point t = Clock::now()) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

void put_be64(std::uint8_t* p, std::uint64_t v) {
  for (int i = 7; i >= 0; --i) {
    p[i] = static_cast<std::uint8_t>(v);
    v >>= 8;
  }
}

std::uint64_t get_be64(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

std::string type_of(const json::object& m) {
  const auto* t = m.if_contains("type");
  return t && t->is_string() ? std::string(t->as_string()) : std::string();
}

std::string string_field(const json::object& m, const char* key) {
  const auto* v = m.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

}  // namespace

// ---------------------------------------------------------------- latency

void LatencyHistogram::add(std::int64_t micros) {
  if (micros < 0) micros = 0;
  const auto i = static_cast<std::size_t>(micros / 10);
  ++buckets[std::min(i, kBuckets)];
  ++count;
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  for (std::size_t i = 0; i < buckets.size(); ++i) buckets[i] += other.buckets[i];
  count += other.count;
}

double LatencyHistogram::quantile_ms(double q) const {
  if (count == 0) return 0;
  const auto target = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count)));
  std::uint64_t seen = 0;
  for (std::size_t i = 0; i < buckets.size(); ++i) {
    seen += buckets[i];
    if (seen >= std::max<std::uint64_t>(target, 1)) return (static_cast<double>(i) * 10 + 5) / 1000.0;
  }
  return 1000.0;
}

// ---------------------------------------------------------------- state

struct SfuParticipant::SentPacket {
  bool valid = false;
  std::uint16_t seq = 0;
  std::uint32_t ts = 0;
  bool marker = false;
  std::vector<std::uint8_t> payload;
};

struct SfuParticipant::Layer {
  std::string rid;
  std::uint32_t kbps = 0;
  std::uint32_t ssrc = 0;
  std::uint32_t rtx_ssrc = 0;
  std::uint16_t seq = 0;
  std::uint16_t rtx_seq = 0;
  std::uint32_t ts = 0;
  std::uint16_t picture_id = 0;
  std::uint8_t tl0 = 0;
  bool force_keyframe = true;
  Clock::time_point last_keyframe{};
  std::array<SentPacket, kHistory> history;
};

struct SfuParticipant::Inbound {
  struct Miss {
    Clock::time_point since;
    Clock::time_point last_nack{};
    int tries = 0;
  };
  InboundStream s;
  bool started = false;
  std::int64_t highest = 0;  // extended, offset by 2^20 so it never goes negative
  std::int64_t base = 0;
  std::map<std::int64_t, Miss> missing;
  std::uint64_t expected_prior = 0, received_prior = 0;
  std::uint32_t last_sr = 0;
  Clock::time_point last_sr_at{};
};

SfuParticipant::SfuParticipant(SfuParticipantConfig config)
    : config_(std::move(config)), rng_(config_.seed ? config_.seed : std::random_device{}()) {
  auto ssrc = [this] {
    for (;;)
      if (const auto s = static_cast<std::uint32_t>(rng_()); s != 0) return s;
  };
  rtcp_ssrc_ = ssrc();
  static const char* kRids[] = {"q", "h", "f"};
  for (std::size_t i = 0; i < 3; ++i) {
    auto l = std::make_unique<Layer>();
    l->rid = kRids[i];
    l->kbps = config_.layer_kbps[i];
    l->ssrc = ssrc();
    l->rtx_ssrc = ssrc();
    l->seq = static_cast<std::uint16_t>(rng_());
    l->rtx_seq = static_cast<std::uint16_t>(rng_());
    l->ts = static_cast<std::uint32_t>(rng_());
    l->picture_id = static_cast<std::uint16_t>(rng_() & 0x7fff);
    l->tl0 = static_cast<std::uint8_t>(rng_());
    layers_.push_back(std::move(l));
  }
  audio_seq_ = static_cast<std::uint16_t>(rng_());
  audio_ts_ = static_cast<std::uint32_t>(rng_());
}

SfuParticipant::~SfuParticipant() {
  if (signaling_) signaling_->close();
}

// ---------------------------------------------------------------- signaling

std::string SfuParticipant::publisher_offer() {
  const auto& fp = pub_->local_fingerprint();
  const auto& ice = pub_->local_ice();
  sdp::SessionDescription d;
  d.origin.session_id = std::to_string(rng_() & 0x7fffffff);
  d.origin.session_version = 2;
  d.extmap_allow_mixed = true;
  d.msid_semantic = sdp::MsidSemantic{"WMS", {"loadtest"}};
  sdp::Group bundle{"BUNDLE", {}};
  auto section = [&](sdp::MediaKind kind, const std::string& mid) {
    sdp::MediaSection m;
    m.kind = kind;
    m.port = 9;
    m.connection = sdp::Connection{};
    m.mid = mid;
    m.direction = sdp::Direction::SendOnly;
    m.ice_ufrag = ice.ufrag;
    m.ice_pwd = ice.pwd;
    m.fingerprints.push_back(sdp::Fingerprint{fp.algorithm, fp.hex()});
    m.setup = sdp::Setup::Active;  // RFC 8842 §5.2: we are the DTLS client
    m.rtcp_mux = true;
    m.rtcp_rsize = true;
    m.msids.push_back({"loadtest", kind == sdp::MediaKind::Audio ? "mic" : "cam"});
    m.extmaps.push_back({kTransportCcId, std::nullopt, std::string(kUriTransportCc), {}});
    m.extmaps.push_back({kMidId, std::nullopt, std::string(kUriMid), {}});
    return m;
  };
  if (config_.audio) {
    auto m = section(sdp::MediaKind::Audio, mid_audio_);
    m.extmaps.insert(m.extmaps.begin(), {kAudioLevelId, std::nullopt, std::string(kUriAudioLevel), {}});
    sdp::Codec opus;
    opus.payload_type = kOpusPt;
    opus.name = "opus";
    opus.clock_rate = 48000;
    opus.channels = 2;
    opus.fmtp_raw = "minptime=10;useinbandfec=1";
    opus.rtcp_fb = {{"transport-cc", ""}};
    m.codecs.push_back(std::move(opus));
    m.ssrcs.push_back({audio_ssrc_, "cname", "loadtest-" + std::to_string(rtcp_ssrc_)});
    bundle.mids.push_back(mid_audio_);
    d.media.push_back(std::move(m));
  }
  if (config_.video) {
    auto m = section(sdp::MediaKind::Video, mid_video_);
    m.extmaps.push_back({kRidId, std::nullopt, std::string(kUriRid), {}});
    m.extmaps.push_back({kRepairedRidId, std::nullopt, std::string(kUriRepairedRid), {}});
    sdp::Codec vp8;
    vp8.payload_type = kVp8Pt;
    vp8.name = "VP8";
    vp8.clock_rate = 90000;
    vp8.rtcp_fb = {{"goog-remb", ""}, {"transport-cc", ""}, {"ccm", "fir"}, {"nack", ""}, {"nack", "pli"}};
    m.codecs.push_back(std::move(vp8));
    if (config_.rtx) {
      sdp::Codec rtx;
      rtx.payload_type = kRtxPt;
      rtx.name = "rtx";
      rtx.clock_rate = 90000;
      rtx.fmtp_raw = "apt=" + std::to_string(kVp8Pt);  // RFC 4588 §8.6
      m.codecs.push_back(std::move(rtx));
    }
    sdp::Simulcast sim;  // RFC 8853 §5.1: send q;h;f
    for (const auto& l : layers_) {
      m.rids.push_back(sdp::Rid{l->rid, sdp::RidDirection::Send, {}, {}});
      sim.send.push_back({sdp::SimulcastStream{l->rid, false}});
    }
    m.simulcast = std::move(sim);
    bundle.mids.push_back(mid_video_);
    d.media.push_back(std::move(m));
  }
  d.groups.push_back(std::move(bundle));
  return sdp::serialize(d);
}

std::expected<void, std::string> SfuParticipant::join() {
  auto sig = SignalingClient::connect(config_.host, config_.port, config_.token, config_.connect_timeout);
  if (!sig) return std::unexpected(sig.error());
  signaling_ = std::move(*sig);
  signaling_->send({{"type", "join"}, {"room", config_.room}, {"display_name", config_.display_name}});
  auto joined = signaling_->wait_for("joined", config_.connect_timeout);
  if (!joined) return std::unexpected("join: " + joined.error());
  participant_id_ = string_field(*joined, "participant_id");
  // An attendee: what it receives comes on the subscriber connection, which
  // the SFU offers (handle_signaling) once it has something to send.
  if (!publishes()) return {};

  WebRtcClientConfig pc;
  pc.socket_buffer_bytes = kSocketBuffer;
  pc.connect_timeout = config_.connect_timeout;
  auto client = WebRtcClient::create(pc);
  if (!client) return std::unexpected("publisher: " + client.error());
  pub_ = std::move(*client);
  audio_ssrc_ = pub_->audio_ssrc();
  pub_->on_rtcp([this](std::span<const std::uint8_t> c) { on_publisher_rtcp(c); });

  json::array tracks;
  if (config_.audio) tracks.push_back(json::object{{"mid", mid_audio_}, {"source", "microphone"}});
  if (config_.video) tracks.push_back(json::object{{"mid", mid_video_}, {"source", "camera"}});
  signaling_->send({{"type", "offer"}, {"pc", "publisher"}, {"sdp", publisher_offer()}, {"tracks", tracks}});
  auto answer = signaling_->wait_for("answer", config_.connect_timeout);
  if (!answer) return std::unexpected("publisher offer: " + answer.error());
  const std::string sdp = string_field(*answer, "sdp");
  if (auto parsed = sdp::parse(sdp)) {
    for (const auto& m : parsed->media)
      if (m.kind == sdp::MediaKind::Video && m.port != 0)
        if (auto pt = m.rtx_payload_type(kVp8Pt)) {
          rtx_negotiated_ = true;
          rtx_pt_ = *pt;
        }
  }
  if (auto r = pub_->set_answer(sdp); !r) return std::unexpected("publisher answer: " + r.error());
  if (auto r = pub_->connect(); !r) return std::unexpected("publisher connect: " + r.error());
  return {};
}

void SfuParticipant::send_settle_probe(std::size_t sections) {
  // The SFU handles one connection's messages in order on the room's
  // worker, and answers a subscribe to nobody with an error carrying our
  // ref: when that error comes, the answer sent before it has been applied.
  ++probe_seq_;
  probe_sections_ = sections;
  signaling_->send({{"type", "subscribe"},
                    {"participant_id", "settle-probe"},
                    {"quality", "low"},
                    {"ref", "settle:" + std::to_string(probe_seq_)}});
}

void SfuParticipant::subscribe(const std::vector<std::string>& participants, const std::string& quality) {
  for (const auto& id : participants)
    if (id != participant_id_)
      signaling_->send({{"type", "subscribe"}, {"participant_id", id}, {"quality", quality}});
}

std::expected<void, std::string> SfuParticipant::handle_signaling() {
  while (auto m = signaling_->next()) {
    const auto type = type_of(*m);
    if (type == "offer" && string_field(*m, "pc") == "subscriber") {
      if (auto r = on_subscriber_offer(string_field(*m, "sdp")); !r) return r;
    } else if (type == "error") {
      // The answer to our settle probe: the answer before it was taken.
      const auto* ref = m->if_contains("ref");
      if (ref && ref->is_string() && ref->as_string().starts_with("settle:")) {
        if (ref->as_string() == "settle:" + std::to_string(probe_seq_))
          answered_sections_.store(probe_sections_, std::memory_order_relaxed);
        continue;
      }
      return std::unexpected("server error: " + json::serialize(*m));
    }
  }
  if (signaling_->closed()) return std::unexpected("the signaling WebSocket closed");
  return {};
}

std::expected<void, std::string> SfuParticipant::on_subscriber_offer(const std::string& offered) {
  ++stats_.subscriber_offers;
  auto parsed = sdp::parse(offered);
  if (!parsed) return std::unexpected("subscriber offer: " + parsed.error().to_string());
  for (const auto& m : parsed->media) {
    if (m.effective_direction() != sdp::Direction::SendOnly) continue;
    const std::string kind(sdp::to_string(m.kind));
    const std::string owner = m.msids.empty() ? std::string() : m.msids.front().stream_id;
    for (const auto& g : m.ssrc_groups)
      if (g.semantics == "FID" && g.ssrcs.size() == 2) rtx_to_media_[g.ssrcs[1]] = g.ssrcs[0];
    for (const auto& s : m.ssrcs) {
      if (rtx_to_media_.contains(s.ssrc)) continue;
      offered_[s.ssrc] = {kind, owner};
      if (auto it = inbound_.find(s.ssrc); it != inbound_.end()) {
        it->second->s.kind = kind;
        it->second->s.participant_id = owner;
      }
    }
  }
  if (!sub_) {
    WebRtcClientConfig pc;
    pc.socket_buffer_bytes = kSocketBuffer;
    pc.arrival_timestamps = true;  // latency ends when the packet reached us, however late run() looks
    pc.connect_timeout = config_.connect_timeout;
    auto client = WebRtcClient::create(pc);
    if (!client) return std::unexpected("subscriber: " + client.error());
    sub_ = std::move(*client);
    sub_->on_rtp([this](const rtp::RtpPacket& p) { on_subscriber_rtp(p); });
    sub_->on_rtcp([this](std::span<const std::uint8_t> c) { on_subscriber_rtcp(c); });
    if (auto r = sub_->set_remote_offer(offered); !r) return std::unexpected("subscriber offer: " + r.error());
    auto answer = sub_->answer_sdp(config_.rtx);
    if (!answer) return std::unexpected("subscriber answer: " + answer.error());
    signaling_->send({{"type", "answer"}, {"pc", "subscriber"}, {"sdp", *answer}});
    send_settle_probe(parsed->media.size());
    if (auto r = sub_->connect(); !r) {
      std::string why = "subscriber connect: " + r.error();
      while (auto m = signaling_->next())  // the server may have refused the answer
        if (type_of(*m) == "error") why += "; server: " + json::serialize(*m);
      if (std::getenv("PARLEY_LOADTEST_DEBUG")) why += "\n--- offer\n" + offered + "--- answer\n" + *answer;
      return std::unexpected(why);
    }
    return {};
  }
  if (auto r = sub_->set_remote_offer(offered); !r) return std::unexpected("subscriber re-offer: " + r.error());
  auto answer = sub_->answer_sdp(config_.rtx);
  if (!answer) return std::unexpected("subscriber answer: " + answer.error());
  signaling_->send({{"type", "answer"}, {"pc", "subscriber"}, {"sdp", *answer}});
  send_settle_probe(parsed->media.size());
  return {};
}

// ---------------------------------------------------------------- sending

std::size_t SfuParticipant::build_packet(std::span<std::uint8_t> out, std::uint8_t pt, std::uint16_t seq,
                                         std::uint32_t ts, std::uint32_t ssrc, bool marker,
                                         std::span<const std::uint8_t> payload, const std::string& rid,
                                         bool repaired, bool audio) {
  const auto tcc = rtp::encode_transport_sequence(transport_seq_++);
  const std::string& mid = audio ? mid_audio_ : mid_video_;
  std::array<rtp::HeaderExtension, 4> exts{};
  std::size_t n = 0;
  exts[n++] = {kTransportCcId, tcc};
  exts[n++] = {kMidId, std::span(reinterpret_cast<const std::uint8_t*>(mid.data()), mid.size())};
  // RFC 6464: voice activity, a level that moves a little.
  const auto level = rtp::encode_audio_level({true, static_cast<std::uint8_t>(30 + (seq % 20))});
  if (audio) exts[n++] = {kAudioLevelId, level};
  if (!rid.empty())
    exts[n++] = {repaired ? kRepairedRidId : kRidId,
                 std::span(reinterpret_cast<const std::uint8_t*>(rid.data()), rid.size())};
  rtp::RtpPacketSpec spec;
  spec.marker = marker;
  spec.payload_type = pt;
  spec.sequence_number = seq;
  spec.timestamp = ts;
  spec.ssrc = ssrc;
  spec.extensions = std::span(exts).first(n);
  spec.extension_form = rtp::ExtensionForm::OneByte;
  spec.payload = payload;
  auto w = rtp::write_rtp_packet(out, spec);
  return w ? *w : 0;
}

void SfuParticipant::send_packet(std::span<const std::uint8_t> packet) {
  if (config_.uplink_loss > 0 && std::uniform_real_distribution<double>(0, 1)(rng_) < config_.uplink_loss) {
    ++stats_.dropped;  // the lossy uplink
    return;
  }
  if (pub_->send_rtp_packet(packet)) {
    ++stats_.rtp_sent;
    stats_.bytes_sent += packet.size();
  }
}

void SfuParticipant::send_audio(Clock::time_point now) {
  std::array<std::uint8_t, 80> payload{};
  payload[0] = 0x78;  // TOC: config 15 (CELT FB 20 ms), mono, one frame
  put_be64(payload.data() + kAudioTimeOffset, static_cast<std::uint64_t>(now_us(now)));
  for (std::size_t i = kAudioTimeOffset + 8; i < payload.size(); ++i)
    payload[i] = static_cast<std::uint8_t>(i * 31 + audio_seq_);
  std::array<std::uint8_t, kMaxRtpPacket> out;
  const auto n = build_packet(out, kOpusPt, audio_seq_, audio_ts_, audio_ssrc_, false, payload, {}, false, true);
  ++audio_seq_;
  audio_ts_ += 960;  // 20 ms at 48 kHz
  if (n) send_packet(std::span(out).first(n));
}

void SfuParticipant::send_video_frame(Layer& l, Clock::time_point now) {
  const bool key = l.force_keyframe || now - l.last_keyframe >= config_.keyframe_interval;
  if (key) {
    l.force_keyframe = false;
    l.last_keyframe = now;
    ++stats_.keyframes;
  }
  l.picture_id = static_cast<std::uint16_t>((l.picture_id + 1) & 0x7fff);
  ++l.tl0;  // every frame is a base-layer frame
  std::size_t frame = static_cast<std::size_t>(l.kbps) * 1000 / 8 / static_cast<std::size_t>(config_.fps);
  if (key) frame *= 3;
  frame = std::max<std::size_t>(frame, 64);
  rtp::Vp8Descriptor desc;
  desc.picture_id = l.picture_id;
  desc.long_picture_id = true;
  desc.tl0_pic_idx = l.tl0;
  desc.tid = 0;  // RFC 7741 §4.2: L needs T
  desc.layer_sync = true;
  const std::size_t desc_size = rtp::vp8_descriptor_size(desc);
  // Header (12) + one-byte extension block (tcc 3, mid 2, rid 2, padded: 12 + 4).
  const std::size_t max_data = kMaxRtpPacket - 12 - 16 - desc_size;
  const std::size_t count = (frame + max_data - 1) / max_data;
  const std::size_t chunk = (frame + count - 1) / count;
  const auto sent_us = static_cast<std::uint64_t>(now_us(now));
  std::array<std::uint8_t, kMaxRtpPacket> payload;
  std::array<std::uint8_t, kMaxRtpPacket> out;
  std::size_t left = frame;
  for (std::size_t i = 0; i < count; ++i) {
    const std::size_t data = std::max<std::size_t>(std::min(chunk, left), kVideoTimeOffset + 8);
    left -= std::min(chunk, left);
    desc.start_of_partition = i == 0;
    desc.partition_id = 0;
    auto w = rtp::write_vp8_descriptor(payload, desc);
    if (!w) return;
    std::uint8_t* p = payload.data() + *w;
    for (std::size_t k = 0; k < data; ++k) p[k] = static_cast<std::uint8_t>(k * 7 + l.picture_id);
    if (i == 0) {
      // RFC 7741 §4.3 / RFC 6386 §9.1: frame tag (P=0 keyframe, show_frame),
      // then a keyframe's start code and 640x360.
      p[0] = key ? 0x10 : 0x11;
      p[1] = 0x00;
      p[2] = 0x00;
      if (key) {
        const std::uint8_t start[] = {0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01};
        std::copy(std::begin(start), std::end(start), p + 3);
      }
    }
    put_be64(p + kVideoTimeOffset, sent_us);
    const auto size = *w + data;
    const bool marker = i + 1 == count;
    auto& h = l.history[l.seq % kHistory];
    h.valid = true;
    h.seq = l.seq;
    h.ts = l.ts;
    h.marker = marker;
    h.payload.assign(payload.begin(), payload.begin() + static_cast<std::ptrdiff_t>(size));
    const auto n = build_packet(out, kVp8Pt, l.seq, l.ts, l.ssrc, marker, std::span(payload).first(size), l.rid,
                                false, false);
    ++l.seq;
    if (n) send_packet(std::span(out).first(n));
  }
  l.ts += 90000 / static_cast<std::uint32_t>(config_.fps);
}

void SfuParticipant::retransmit(std::uint32_t ssrc, std::uint16_t seq) {
  Layer* layer = nullptr;
  for (auto& l : layers_)
    if (l->ssrc == ssrc) layer = l.get();
  if (!layer) return;
  const auto& h = layer->history[seq % kHistory];
  if (!h.valid || h.seq != seq) {
    ++stats_.nack_misses;
    return;
  }
  ++stats_.retransmissions;
  std::array<std::uint8_t, kMaxRtpPacket + 32> out;
  std::size_t n = 0;
  if (rtx_negotiated_) {
    // RFC 4588 §4: the OSN, then the original payload, on the RTX stream.
    std::array<std::uint8_t, kMaxRtpPacket + 2> payload;
    payload[0] = static_cast<std::uint8_t>(seq >> 8);
    payload[1] = static_cast<std::uint8_t>(seq);
    std::ranges::copy(h.payload, payload.begin() + 2);
    n = build_packet(out, rtx_pt_, layer->rtx_seq++, h.ts, layer->rtx_ssrc, h.marker,
                     std::span(payload).first(h.payload.size() + 2), layer->rid, true, false);
  } else {
    n = build_packet(out, kVp8Pt, seq, h.ts, layer->ssrc, h.marker, h.payload, layer->rid, false, false);
  }
  if (n) send_packet(std::span(out).first(n));
}

void SfuParticipant::on_publisher_rtcp(std::span<const std::uint8_t> bytes) {
  auto compound = rtp::RtcpCompound::parse(bytes);
  if (!compound) return;
  for (const auto& packet : *compound) {
    if (packet.type() != rtp::rtcp_type::kRtpFeedback && packet.type() != rtp::rtcp_type::kPayloadFeedback)
      continue;
    auto fb = rtp::Feedback::parse(packet);
    if (!fb) continue;
    if (packet.type() == rtp::rtcp_type::kRtpFeedback && fb->format == rtp::rtpfb_format::kNack) {
      auto nack = rtp::Nack::parse(packet);
      if (!nack) continue;
      ++stats_.nacks_received;
      nack->for_each_lost([&](std::uint16_t seq) {
        ++stats_.nack_seqs_received;
        if (config_.nack) retransmit(nack->media_ssrc, seq);
      });
      continue;
    }
    if (packet.type() != rtp::rtcp_type::kPayloadFeedback) continue;
    std::vector<std::uint32_t> targets;
    if (rtp::is_pli(*fb)) targets.push_back(fb->media_ssrc);
    if (fb->format == rtp::psfb_format::kFir)
      if (auto fir = rtp::Fir::parse(packet))
        for (const auto& e : fir->entries) targets.push_back(e.ssrc);
    for (auto ssrc : targets)
      for (auto& l : layers_)
        if (l->ssrc == ssrc) {
          ++stats_.plis_received;
          l->force_keyframe = true;
        }
  }
}

// ---------------------------------------------------------------- receiving

SfuParticipant::Inbound& SfuParticipant::inbound(std::uint32_t ssrc, std::uint8_t payload_type) {
  auto& slot = inbound_[ssrc];
  if (!slot) {
    slot = std::make_unique<Inbound>();
    slot->s.ssrc = ssrc;
    if (auto it = offered_.find(ssrc); it != offered_.end()) {
      slot->s.kind = it->second.first;
      slot->s.participant_id = it->second.second;
    } else {
      slot->s.kind = payload_type == kOpusPt ? "audio" : "video";
    }
  }
  return *slot;
}

void SfuParticipant::on_subscriber_rtp(const rtp::RtpPacket& packet) {
  const auto now = sub_->arrival_time();
  ++stats_.rtp_received;
  stats_.bytes_received += packet.size();
  progress_packets_.fetch_add(1, std::memory_order_relaxed);
  progress_bytes_.fetch_add(packet.size(), std::memory_order_relaxed);

  std::uint32_t ssrc = packet.ssrc();
  std::uint16_t seq = packet.sequence_number();
  auto payload = packet.payload();
  bool via_rtx = false;
  if (auto it = rtx_to_media_.find(ssrc); it != rtx_to_media_.end()) {
    if (payload.size() < 2) return;  // padding-only
    seq = static_cast<std::uint16_t>((payload[0] << 8) | payload[1]);  // OSN, RFC 4588 §4
    payload = payload.subspan(2);
    ssrc = it->second;
    via_rtx = true;
  } else if (packet.payload_type() == kRtxPt) {
    return;  // RTX we cannot map yet
  }
  auto& in = inbound(ssrc, packet.payload_type());
  if (via_rtx) ++in.s.rtx;
  std::int64_t ext;
  if (!in.started) {
    ext = seq + (std::int64_t{1} << 20);
  } else {
    const auto low = static_cast<std::uint16_t>(in.highest);
    ext = in.highest + static_cast<std::int16_t>(static_cast<std::uint16_t>(seq - low));
  }
  if (!in.started || ext > in.highest) {
    if (in.started) {
      const auto gap = ext - in.highest - 1;
      if (gap > 0 && gap < 3000) {
        for (auto s = in.highest + 1; s < ext; ++s) in.missing[s] = Inbound::Miss{now};
        in.s.gaps += static_cast<std::uint64_t>(gap);
      }
    } else {
      in.base = ext;
      in.started = true;
    }
    in.highest = ext;
  } else {
    auto it = in.missing.find(ext);
    if (it == in.missing.end()) {
      ++in.s.duplicates;
      return;
    }
    in.missing.erase(it);
    ++in.s.repaired;
    ++in.s.packets;
    in.s.bytes += packet.size();
    return;  // late: its latency is the repair's, not forwarding's
  }
  ++in.s.packets;
  in.s.bytes += packet.size();
  in.s.last_packet = now;
  if (via_rtx) return;
  // Forwarding latency from the send time the publisher embedded.
  std::optional<std::uint64_t> sent;
  if (packet.payload_type() == kOpusPt) {
    if (payload.size() >= kAudioTimeOffset + 8) sent = get_be64(payload.data() + kAudioTimeOffset);
  } else if (auto d = rtp::Vp8Descriptor::parse(payload)) {
    if (payload.size() >= d->size + kVideoTimeOffset + 8) sent = get_be64(payload.data() + d->size + kVideoTimeOffset);
  }
  if (sent) {
    const auto latency = now_us(now) - static_cast<std::int64_t>(*sent);
    if (latency >= 0 && latency < 60'000'000) stats_.latency.add(latency);
  }
}

void SfuParticipant::on_subscriber_rtcp(std::span<const std::uint8_t> bytes) {
  auto compound = rtp::RtcpCompound::parse(bytes);
  if (!compound) return;
  for (const auto& packet : *compound) {
    if (packet.type() != rtp::rtcp_type::kSenderReport) continue;
    auto sr = rtp::SenderReport::parse(packet);
    if (!sr) continue;
    auto& in = inbound(sr->sender_ssrc, 0);
    in.last_sr = rtp::compact_ntp(sr->info.ntp_timestamp);
    in.last_sr_at = Clock::now();
  }
}

void SfuParticipant::send_nacks(Clock::time_point now) {
  std::array<std::uint8_t, 1200> out;
  for (auto& [ssrc, in] : inbound_) {
    if (in->missing.empty()) continue;
    std::vector<std::uint16_t> list;
    for (auto it = in->missing.begin(); it != in->missing.end();) {
      auto& miss = it->second;
      if (now - miss.since > kGiveUp) {
        ++in->s.lost;
        it = in->missing.erase(it);
        continue;
      }
      const bool due = miss.tries == 0 ? now - miss.since >= kNackFirstDelay : now - miss.last_nack >= kNackRetry;
      if (config_.nack && due && miss.tries < kNackMaxTries && list.size() < 200) {
        list.push_back(static_cast<std::uint16_t>(it->first));
        ++miss.tries;
        miss.last_nack = now;
      }
      ++it;
    }
    if (list.empty() || !sub_ || !sub_->connected()) continue;
    if (auto w = rtp::write_nack(out, rtcp_ssrc_, ssrc, list)) {  // RFC 4585 §6.2.1
      if (sub_->send_rtcp(std::span(out).first(*w))) {
        ++stats_.nacks_sent;
        in->s.nacked += list.size();
      }
    }
  }
}

void SfuParticipant::send_reports(Clock::time_point now) {
  if (!sub_ || !sub_->connected()) return;
  std::vector<rtp::ReportBlock> blocks;
  std::vector<std::uint32_t> media;
  for (auto& [ssrc, in] : inbound_) {
    if (!in->started) continue;
    media.push_back(ssrc);
    rtp::ReportBlock b;
    b.ssrc = ssrc;
    const auto expected = static_cast<std::uint64_t>(in->highest - in->base + 1);
    const std::uint64_t received = in->s.packets;
    const auto exp_int = expected - in->expected_prior;
    const auto rec_int = received - in->received_prior;
    in->expected_prior = expected;
    in->received_prior = received;
    if (exp_int > rec_int && exp_int > 0) b.fraction_lost = static_cast<std::uint8_t>(((exp_int - rec_int) << 8) / exp_int);
    b.cumulative_lost = static_cast<std::int32_t>(in->s.lost + in->missing.size());
    b.extended_highest_sequence = static_cast<std::uint32_t>(in->highest - (std::int64_t{1} << 20));
    if (in->last_sr) {
      b.last_sr = in->last_sr;
      b.delay_since_last_sr = static_cast<std::uint32_t>(
          std::chrono::duration_cast<std::chrono::microseconds>(now - in->last_sr_at).count() * 65536 / 1'000'000);
    }
    blocks.push_back(b);
  }
  std::array<std::uint8_t, 1400> out;
  std::size_t used = 0;
  for (std::size_t i = 0; i < blocks.size() || i == 0; i += rtp::kMaxReportBlocks) {
    const auto n = std::min(rtp::kMaxReportBlocks, blocks.size() - std::min(i, blocks.size()));
    auto w = rtp::write_receiver_report(std::span(out).subspan(used), rtcp_ssrc_,
                                        std::span(blocks).subspan(std::min(i, blocks.size()), n));
    if (!w) break;
    used += *w;
    if (blocks.empty()) break;
  }
  if (config_.remb_bps && !media.empty())
    if (auto w = rtp::write_remb(std::span(out).subspan(used), rtcp_ssrc_, config_.remb_bps,
                                 std::span(media).first(std::min<std::size_t>(media.size(), 255))))
      used += *w;
  if (used) (void)sub_->send_rtcp(std::span(out).first(used));
}

// ---------------------------------------------------------------- the loop

std::expected<void, std::string> SfuParticipant::run(Clock::time_point start_send, Clock::time_point stop_send,
                                                     Clock::time_point stop_receive) {
  const auto frame = std::chrono::microseconds(1'000'000 / config_.fps);
  // Spread the participants' frames over the frame interval.
  auto next_video = start_send + std::chrono::microseconds(rng_() % frame.count());
  auto next_audio = start_send + std::chrono::microseconds(rng_() % 20'000);
  auto next_nack = Clock::now();
  auto next_report = Clock::now() + std::chrono::seconds(1);
  for (;;) {
    auto now = Clock::now();
    if (now >= stop_receive) break;
    if (auto r = handle_signaling(); !r) return r;
    if (now >= start_send && now < stop_send) {
      if (config_.audio && now >= next_audio) {
        send_audio(now);
        next_audio += milliseconds(20);
        if (now - next_audio > milliseconds(200)) next_audio = now + milliseconds(20);  // fell far behind
      }
      if (config_.video && now >= next_video) {
        for (auto& l : layers_) send_video_frame(*l, now);
        next_video += frame;
        if (now - next_video > milliseconds(200)) next_video = now + frame;
      }
    }
    if (now >= next_nack) {
      send_nacks(now);
      next_nack = now + kNackInterval;
    }
    if (now >= next_report) {
      send_reports(now);
      next_report += std::chrono::seconds(1);
    }
    auto until = std::min({next_nack, next_report, stop_receive});
    if (now < stop_send) {
      if (config_.audio) until = std::min(until, std::max(next_audio, start_send));
      if (config_.video) until = std::min(until, std::max(next_video, start_send));
    }
    // Sleep until something is due (at most kReceiveBatch), then take what
    // arrived meanwhile together. Waking for each packet cost a thread
    // switch per packet, most of the generator's CPU with a hundred
    // participants on two cores; the wait adds nothing to the latency,
    // which ends at the kernel's arrival stamp.
    now = Clock::now();
    if (until > now) std::this_thread::sleep_for(std::min<Clock::duration>(until - now, kReceiveBatch));
    // poll(0) also keeps consent alive on both (RFC 7675).
    if (pub_) pub_->poll(milliseconds(0));
    if (sub_) sub_->poll(milliseconds(0));
  }
  return {};
}

void SfuParticipant::finish() {
  stats_.streams.clear();
  for (auto& [ssrc, in] : inbound_) {
    in->s.lost += in->missing.size();
    in->missing.clear();
    stats_.streams.push_back(in->s);
  }
  if (signaling_) {
    signaling_->send({{"type", "leave"}});
    signaling_->close();
  }
  if (pub_) pub_->close();
  if (sub_) sub_->close();
}

}  // namespace parley::rtc
