// DownTrack: one published track as one subscriber receives it. The tests
// play a simulcast publisher (three VP8 layers, each its own SSRC, sequence
// numbers, timestamps and picture ids) and an audio publisher into a
// DownTrack whose PacketSink captures what the subscriber's connection would
// send, then read those packets back as the browser would.

#include "sfu/down_track.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "rtc/offer.hpp"
#include "rtp/header_extensions.hpp"
#include "rtp/rtp_packet.hpp"
#include "rtp/rtx.hpp"
#include "rtp/vp8.hpp"
#include "sfu/published_track.hpp"

namespace parley::sfu {
namespace {

using namespace std::chrono_literals;
using Bytes = std::vector<std::uint8_t>;
using Clock = std::chrono::steady_clock;

constexpr std::uint32_t kOutSsrc = 0xA0A0A0A0;
constexpr std::uint32_t kOutRtx = 0xB0B0B0B0;
constexpr std::uint8_t kPublisherVp8Pt = 100;   // not ours: the SFU must rewrite it
constexpr std::uint8_t kPublisherOpusPt = 109;
constexpr std::uint8_t kPublisherRidId = 10;     // the publisher's rid extension id
constexpr std::uint8_t kPublisherLevelId = 5;    // the publisher's audio-level id

// What the subscriber's connection would send.
struct Sent {
  Bytes bytes;
  std::uint16_t transport_seq = 0;
};

class FakeSink : public PacketSink {
 public:
  void send_rtp(std::span<std::uint8_t> buffer, std::size_t len, std::uint16_t transport_seq) override {
    EXPECT_LE(len, buffer.size());
    sent.push_back({Bytes(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(len)), transport_seq});
  }
  std::uint16_t next_transport_seq() override { return next_++; }

  std::vector<Sent> sent;
  std::uint16_t next_ = 65530;  // wraps during the tests
};

// A packet as the subscriber reads it.
struct Out {
  bool marker = false;
  std::uint8_t pt = 0;
  std::uint16_t seq = 0;
  std::uint32_t ts = 0;
  std::uint32_t ssrc = 0;
  Bytes payload;
  std::optional<std::uint32_t> abs_send_time;
  std::optional<std::uint16_t> transport_seq;
  std::optional<Bytes> audio_level;
  bool has_publisher_rid = false;
  std::uint16_t sink_transport_seq = 0;
};

Out read(const Sent& s) {
  auto p = rtp::RtpPacket::parse(s.bytes);
  EXPECT_TRUE(p) << p.error();
  Out o;
  if (!p) return o;
  o.marker = p->marker();
  o.pt = p->payload_type();
  o.seq = p->sequence_number();
  o.ts = p->timestamp();
  o.ssrc = p->ssrc();
  o.payload.assign(p->payload().begin(), p->payload().end());
  if (auto e = p->extension(rtc::kOfferAbsSendTimeId)) o.abs_send_time = rtp::read_abs_send_time(*e);
  if (auto e = p->extension(rtc::kOfferTransportCcId)) o.transport_seq = rtp::read_transport_sequence(*e);
  if (auto e = p->extension(rtc::kOfferAudioLevelId)) o.audio_level = Bytes(e->begin(), e->end());
  o.has_publisher_rid = p->extension(kPublisherRidId).has_value() && kPublisherRidId != rtc::kOfferAudioLevelId &&
                        kPublisherRidId != rtc::kOfferAbsSendTimeId && kPublisherRidId != rtc::kOfferTransportCcId;
  o.sink_transport_seq = s.transport_seq;
  return o;
}

// Tag bytes in every payload: which layer, frame and packet it came from.
struct Tag {
  std::uint8_t layer = 0, frame = 0, part = 0;
};

// A simulcast VP8 publisher: per layer its own SSRC, sequence numbers,
// RTP timestamps and 15-bit picture ids (and TL0PICIDX), all different.
struct Vp8Publisher {
  struct LayerState {
    std::uint32_t ssrc;
    std::uint16_t seq;
    std::uint32_t ts;
    std::uint16_t picture_id;
    std::uint8_t tl0;
  };
  std::array<LayerState, 3> layers = {{{0x1000, 65500, 4000000000u, 32700, 250},  // wraps soon
                                       {0x2000, 100, 1000, 5, 10},
                                       {0x3000, 30000, 77777, 20000, 100}}};

  // One frame of `layer`: `packets` RTP packets, the first with S=1.
  std::vector<Bytes> frame(std::size_t layer, std::uint8_t frame_no, bool keyframe, std::size_t packets = 2) {
    auto& l = layers[layer];
    std::vector<Bytes> out;
    for (std::size_t i = 0; i < packets; ++i) {
      rtp::Vp8Descriptor d;
      d.start_of_partition = i == 0;
      d.partition_id = 0;
      d.picture_id = l.picture_id;
      d.long_picture_id = true;
      d.tl0_pic_idx = l.tl0;
      d.tid = 0;
      d.layer_sync = true;
      Bytes payload(rtp::vp8_descriptor_size(d));
      EXPECT_TRUE(rtp::write_vp8_descriptor(payload, d));
      // The VP8 payload header's P bit (RFC 7741 §4.3): 0 on a keyframe.
      if (i == 0) payload.push_back(keyframe ? 0x10 : 0x11);
      payload.insert(payload.end(), {static_cast<std::uint8_t>(layer), frame_no, static_cast<std::uint8_t>(i)});
      payload.insert(payload.end(), 40 + 10 * layer, static_cast<std::uint8_t>(0xC0 + layer));

      const std::array<std::uint8_t, 1> rid = {static_cast<std::uint8_t>("qhf"[layer])};
      const std::array<rtp::HeaderExtension, 1> exts = {rtp::HeaderExtension{kPublisherRidId, rid}};
      rtp::RtpPacketSpec spec;
      spec.marker = i + 1 == packets;
      spec.payload_type = kPublisherVp8Pt;
      spec.sequence_number = l.seq++;
      spec.timestamp = l.ts;
      spec.ssrc = l.ssrc;
      spec.extensions = exts;
      spec.payload = payload;
      Bytes pkt(1500);
      auto n = rtp::write_rtp_packet(pkt, spec);
      EXPECT_TRUE(n);
      pkt.resize(n ? *n : 0);
      out.push_back(std::move(pkt));
    }
    l.ts += 3000;  // 30 fps at 90 kHz
    l.picture_id = static_cast<std::uint16_t>((l.picture_id + 1) & 0x7FFF);
    if (keyframe || frame_no % 2 == 0) ++l.tl0;
    return out;
  }
};

struct Vp8Fields {
  std::uint16_t picture_id = 0;
  std::uint8_t tl0 = 0;
  bool start = false;
  bool keyframe = false;
  std::size_t size = 0;
};

Vp8Fields vp8_of(const Bytes& payload) {
  auto d = rtp::Vp8Descriptor::parse(payload);
  EXPECT_TRUE(d) << d.error();
  if (!d) return {};
  EXPECT_TRUE(d->picture_id);
  EXPECT_TRUE(d->long_picture_id) << "the picture id keeps its 15-bit form";
  return {d->picture_id.value_or(0), d->tl0_pic_idx.value_or(0), d->start_of_frame(), d->keyframe, d->size};
}

Tag tag_of(const Bytes& payload) {
  const auto f = vp8_of(payload);
  const std::size_t at = f.size + (f.start ? 1 : 0);
  if (payload.size() < at + 3) return {0xFF, 0xFF, 0xFF};
  return {payload[at], payload[at + 1], payload[at + 2]};
}

std::unique_ptr<PublishedTrack> video_track(const Vp8Publisher& pub) {
  auto t = std::make_unique<PublishedTrack>();
  t->id = "p_pub-1";
  t->mid = "1";
  t->kind = sdp::MediaKind::Video;
  t->source = Source::Camera;
  t->payload_type = kPublisherVp8Pt;
  t->clock_rate = 90000;
  for (std::size_t i = 0; i < 3; ++i) {
    Layer l;
    l.cache = PacketCache(256);
    l.rid = std::string(1, "qhf"[i]);
    l.ssrc = pub.layers[i].ssrc;
    t->layers.push_back(std::move(l));
  }
  return t;
}

Layers all_active() {
  Layers l{};
  for (auto& x : l) x = {true, 0};
  return l;
}

// The room's part: cache the packet in its layer, then forward it.
class VideoFixture : public ::testing::Test {
 protected:
  VideoFixture() : track(video_track(pub)), down(*track, sink, "0", kOutSsrc, kOutRtx, OutgoingFormat::of_our_offer(false)) {
    track->subscribers.push_back(&down);
    down.set_layers(all_active());
  }

  // Sends one frame of `layer`; returns how many packets the subscriber got.
  std::size_t send(std::size_t layer, std::uint8_t frame_no, bool keyframe, std::size_t packets = 2) {
    const std::size_t before = sink.sent.size();
    for (auto& bytes : pub.frame(layer, frame_no, keyframe, packets)) {
      auto p = rtp::RtpPacket::parse(bytes);
      EXPECT_TRUE(p);
      auto& l = track->layers[layer];
      l.cache.insert(p->sequence_number(), p->bytes(), now);
      const auto d = rtp::Vp8Descriptor::parse(p->payload());
      const bool key = d && d->keyframe && d->start_of_frame();
      down.forward(*p, layer, key, now);
    }
    return sink.sent.size() - before;
  }
  // Only `layer` sends this frame.
  void send_one(std::size_t layer, std::uint8_t frame_no, bool keyframe) {
    send(layer, frame_no, keyframe);
    now += 33ms;
  }
  // A simulcast publisher sends every layer for each frame.
  void send_all(std::uint8_t frame_no, std::array<bool, 3> keyframes) {
    for (std::size_t l = 0; l < 3; ++l) send(l, frame_no, keyframes[l]);
    now += 33ms;
  }

  std::vector<Out> outs() const {
    std::vector<Out> o;
    for (const auto& s : sink.sent) o.push_back(read(s));
    return o;
  }

  Clock::time_point now = Clock::time_point{} + 100s;
  Vp8Publisher pub;
  FakeSink sink;
  std::unique_ptr<PublishedTrack> track;
  DownTrack down;
};

// Every check the subscriber's jitter buffer makes on one continuous stream.
void expect_one_continuous_stream(const std::vector<Out>& o) {
  ASSERT_FALSE(o.empty());
  for (std::size_t i = 0; i < o.size(); ++i) {
    SCOPED_TRACE("packet " + std::to_string(i));
    EXPECT_EQ(o[i].ssrc, kOutSsrc);
    EXPECT_EQ(o[i].pt, rtc::kOfferVp8PayloadType);
    ASSERT_TRUE(o[i].abs_send_time);
    ASSERT_TRUE(o[i].transport_seq);
    EXPECT_EQ(*o[i].transport_seq, o[i].sink_transport_seq);
    EXPECT_FALSE(o[i].has_publisher_rid) << "the publisher's extensions are not passed on";
    if (i == 0) continue;
    EXPECT_EQ(o[i].seq, static_cast<std::uint16_t>(o[i - 1].seq + 1)) << "no gap, no repeat";
    EXPECT_GE(static_cast<std::int32_t>(o[i].ts - o[i - 1].ts), 0) << "timestamps never go back";
    EXPECT_EQ(*o[i].transport_seq, static_cast<std::uint16_t>(*o[i - 1].transport_seq + 1));
    EXPECT_GE(*o[i].abs_send_time, *o[i - 1].abs_send_time);
  }
}

TEST_F(VideoFixture, NothingBeforeATargetLayer) {
  send_all(0, {true, true, true});
  EXPECT_TRUE(sink.sent.empty());
  EXPECT_FALSE(down.current_layer());
}

TEST_F(VideoFixture, ForwardsOnlyTheTargetLayerRewritten) {
  down.set_target_layer(0);
  EXPECT_TRUE(down.wants_keyframe());
  send_all(0, {true, true, true});
  send_all(1, {false, false, false});
  EXPECT_FALSE(down.wants_keyframe());
  const auto o = outs();
  ASSERT_EQ(o.size(), 4u);  // two frames of two packets, layer 0 only
  expect_one_continuous_stream(o);
  for (const auto& x : o) EXPECT_EQ(tag_of(x.payload).layer, 0);
  EXPECT_EQ(down.current_layer(), std::optional<std::size_t>(0));
  EXPECT_EQ(down.stats().packets, 4u);
  // Markers at the end of each frame, as the publisher set them.
  EXPECT_FALSE(o[0].marker);
  EXPECT_TRUE(o[1].marker);
  // One frame: one timestamp; the next 3000 ticks later.
  EXPECT_EQ(o[0].ts, o[1].ts);
  EXPECT_EQ(o[2].ts - o[0].ts, 3000u);
}

TEST_F(VideoFixture, WaitsForAKeyframeOfTheFirstLayer) {
  down.set_target_layer(0);
  send_all(0, {false, false, false});
  EXPECT_TRUE(sink.sent.empty()) << "a delta frame cannot start a picture";
  EXPECT_TRUE(down.wants_keyframe());
  send_all(1, {true, false, false});
  EXPECT_EQ(sink.sent.size(), 2u);
}

TEST_F(VideoFixture, LayerSwitchKeepsOneContinuousStream) {
  down.set_target_layer(0);
  send_all(0, {true, true, true});
  send_all(1, {false, false, false});
  send_all(2, {false, false, false});
  const std::size_t on_low = sink.sent.size();
  ASSERT_EQ(on_low, 6u);

  down.set_target_layer(2);
  EXPECT_TRUE(down.wants_keyframe());
  // No keyframe of the target yet: the low layer goes on; a keyframe of the
  // middle layer does not move us there.
  send_all(3, {false, true, false});
  send_all(4, {false, false, false});
  EXPECT_EQ(down.current_layer(), std::optional<std::size_t>(0));
  EXPECT_TRUE(down.wants_keyframe());
  // The target's keyframe: switch. (Layer 0's frame 5 arrived just before
  // it and went out too.)
  send_all(5, {false, false, true});
  send_all(6, {false, false, false});
  send_all(7, {true, true, false});  // keyframes of the other layers change nothing now
  EXPECT_EQ(down.current_layer(), std::optional<std::size_t>(2));
  EXPECT_FALSE(down.wants_keyframe());
  EXPECT_EQ(down.stats().layer_switches, 1u);

  const auto o = outs();
  ASSERT_EQ(o.size(), 18u);
  expect_one_continuous_stream(o);
  std::vector<Tag> tags;
  for (const auto& x : o) tags.push_back(tag_of(x.payload));
  for (std::size_t i = 0; i < 12; ++i) EXPECT_EQ(tags[i].layer, 0) << i;  // frames 0-5
  for (std::size_t i = 12; i < 18; ++i) EXPECT_EQ(tags[i].layer, 2) << i;  // frames 5-7
  // The first packet after the switch starts the target's keyframe.
  EXPECT_EQ(tags[12].frame, 5);
  const auto first_high = vp8_of(o[12].payload);
  EXPECT_TRUE(first_high.keyframe);
  EXPECT_TRUE(first_high.start);
  // Frames keep strictly increasing timestamps across the switch.
  for (std::size_t i = 2; i < o.size(); i += 2) EXPECT_GT(static_cast<std::int32_t>(o[i].ts - o[i - 2].ts), 0) << i;
}

TEST_F(VideoFixture, Vp8PictureIdsContinueAcrossTheSwitch) {
  down.set_target_layer(0);
  send_all(0, {true, true, true});
  send_all(1, {false, false, false});
  down.set_target_layer(1);
  send_all(2, {false, true, false});  // layer 0's frame 2, then layer 1's keyframe
  send_all(3, {false, false, false});
  down.set_target_layer(2);
  send_all(4, {false, false, true});  // layer 1's frame 4, then layer 2's keyframe
  send_all(5, {false, false, false});
  down.set_target_layer(0);
  send_all(6, {true, false, false});  // layer 0 comes first: switch at once
  send_all(7, {false, false, false});

  const auto o = outs();
  ASSERT_EQ(o.size(), 20u);
  expect_one_continuous_stream(o);
  // Each layer has its own numbering upstream; downstream it is one
  // sequence of picture ids.
  const std::vector<std::uint8_t> expected_layers = {0, 0, 0, 1, 1, 1, 2, 2, 0, 0};
  std::optional<std::uint16_t> prev_pid;
  std::optional<std::uint8_t> prev_tl0;
  for (std::size_t f = 0; f < expected_layers.size(); ++f) {
    SCOPED_TRACE("frame " + std::to_string(f));
    const auto a = vp8_of(o[2 * f].payload);
    const auto b = vp8_of(o[2 * f + 1].payload);
    EXPECT_EQ(tag_of(o[2 * f].payload).layer, expected_layers[f]);
    EXPECT_EQ(a.picture_id, b.picture_id) << "one frame, one picture id";
    if (prev_pid) {
      EXPECT_EQ(a.picture_id, (*prev_pid + 1) & 0x7FFF);
    }
    if (prev_tl0) {
      // TL0PICIDX never goes back and never jumps (RFC 7741 §4.2).
      const auto d = static_cast<std::uint8_t>(a.tl0 - *prev_tl0);
      EXPECT_LE(d, 1) << int(a.tl0) << " after " << int(*prev_tl0);
    }
    prev_pid = a.picture_id;
    prev_tl0 = a.tl0;
  }
  EXPECT_EQ(down.stats().layer_switches, 3u);
}

TEST_F(VideoFixture, PayloadIsPassedOnAfterTheDescriptor) {
  down.set_target_layer(1);
  send(1, 0, true);
  ASSERT_EQ(sink.sent.size(), 2u);
  // Rebuild what the publisher sent for layer 1, frame 0.
  Vp8Publisher fresh;
  const auto original = fresh.frame(1, 0, true);
  for (std::size_t i = 0; i < 2; ++i) {
    auto in = rtp::RtpPacket::parse(original[i]);
    ASSERT_TRUE(in);
    const Bytes in_payload(in->payload().begin(), in->payload().end());
    const auto out = read(sink.sent[i]);
    ASSERT_EQ(out.payload.size(), in_payload.size());
    const auto n = vp8_of(in_payload).size;
    EXPECT_TRUE(std::equal(in_payload.begin() + static_cast<std::ptrdiff_t>(n), in_payload.end(),
                           out.payload.begin() + static_cast<std::ptrdiff_t>(n)));
    // The first segment passes the publisher's own numbers through.
    EXPECT_EQ(out.seq, in->sequence_number());
    EXPECT_EQ(out.ts, in->timestamp());
  }
}

TEST_F(VideoFixture, PausedSendsNothingAndResumeHasNoSequenceGap) {
  down.set_target_layer(0);
  send_all(0, {true, true, true});
  send_all(1, {false, false, false});
  const auto before = outs();
  ASSERT_EQ(before.size(), 4u);

  down.set_paused(true);
  EXPECT_FALSE(down.wants_keyframe());
  down.set_target_layer(0);  // the allocator may still run: ignored while paused
  for (std::uint8_t f = 2; f < 8; ++f) send_all(f, {f == 4, f == 4, f == 4});
  EXPECT_EQ(sink.sent.size(), 4u) << "muted: nothing goes out";

  down.set_paused(false);
  down.set_target_layer(0);
  EXPECT_TRUE(down.wants_keyframe());
  send_all(8, {false, false, false});
  EXPECT_EQ(sink.sent.size(), 4u) << "a delta frame after the pause cannot be decoded";
  send_all(9, {true, true, true});
  send_all(10, {false, false, false});
  const auto o = outs();
  ASSERT_EQ(o.size(), 8u);
  expect_one_continuous_stream(o);  // seq 4 follows seq 3 although the publisher sent 14 packets
  EXPECT_EQ(tag_of(o[4].payload).frame, 9);
  // Time went on during the pause: the timestamp jumped forward by the
  // 264 ms between frame 1 and frame 9 (90 ticks per ms).
  const auto jump = o[4].ts - o[3].ts;
  EXPECT_GE(jump, 90u * 260);
  EXPECT_LE(jump, 90u * 270);
}

TEST_F(VideoFixture, RetransmitsAsRtxFromTheLayerCache) {
  down.set_target_layer(2);
  send_one(2, 0, true);
  send_one(2, 1, false);
  send_one(2, 2, false);
  const auto o = outs();
  ASSERT_EQ(o.size(), 6u);
  const std::size_t n_before = sink.sent.size();

  // The subscriber lost the 4th packet it was sent.
  down.retransmit(o[3].seq, now);
  ASSERT_EQ(sink.sent.size(), n_before + 1);
  const auto rtx = read(sink.sent.back());
  EXPECT_EQ(rtx.ssrc, kOutRtx);
  EXPECT_EQ(rtx.pt, rtc::kOfferRtxPayloadType);
  ASSERT_GE(rtx.payload.size(), 2u);
  const std::uint16_t osn = static_cast<std::uint16_t>(rtx.payload[0] << 8 | rtx.payload[1]);
  EXPECT_EQ(osn, o[3].seq) << "OSN: the sequence number the subscriber saw";
  EXPECT_EQ(Bytes(rtx.payload.begin() + 2, rtx.payload.end()), o[3].payload) << "the same payload as sent";
  EXPECT_EQ(rtx.ts, o[3].ts);
  EXPECT_EQ(rtx.marker, o[3].marker);
  ASSERT_TRUE(rtx.transport_seq);
  EXPECT_EQ(static_cast<std::uint16_t>(*rtx.transport_seq - *o.back().transport_seq), 1)
      << "a retransmission is a new packet on the transport";
  EXPECT_EQ(down.stats().retransmitted, 1u);

  // A second NACK for another packet: the RTX sequence number advances.
  down.retransmit(o[1].seq, now);
  ASSERT_EQ(sink.sent.size(), n_before + 2);
  const auto rtx2 = read(sink.sent.back());
  EXPECT_EQ(rtx2.ssrc, kOutRtx);
  EXPECT_EQ(rtx2.seq, static_cast<std::uint16_t>(rtx.seq + 1));
  EXPECT_EQ(static_cast<std::uint16_t>(rtx2.payload[0] << 8 | rtx2.payload[1]), o[1].seq);
  EXPECT_EQ(Bytes(rtx2.payload.begin() + 2, rtx2.payload.end()), o[1].payload);
}

// Bandwidth probes are padding on the RTX stream: an empty payload with
// the P bit (RFC 3550 §5.1), numbered in the same sequence as
// retransmissions, with the transport-wide number that feedback reports.
TEST_F(VideoFixture, PaddingGoesOnTheRtxStreamBetweenRetransmissions) {
  down.set_target_layer(2);
  send_one(2, 0, true);
  const auto o = outs();
  ASSERT_FALSE(o.empty());
  down.retransmit(o[0].seq, now);
  const auto rtx = read(sink.sent.back());

  ASSERT_TRUE(down.can_pad());
  std::array<std::uint8_t, 600> buffer{};
  const auto n = down.write_padding(buffer, 255, 4242, now);
  ASSERT_GT(n, 255u);
  const Bytes bytes(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(n));
  auto packet = rtp::RtpPacket::parse(bytes);
  ASSERT_TRUE(packet) << packet.error();
  EXPECT_EQ(packet->ssrc(), kOutRtx);
  EXPECT_EQ(packet->payload_type(), rtc::kOfferRtxPayloadType);
  EXPECT_EQ(packet->sequence_number(), static_cast<std::uint16_t>(rtx.seq + 1));
  EXPECT_TRUE(packet->payload().empty()) << "nothing but padding";
  EXPECT_EQ(bytes[0] & 0x20, 0x20) << "the P bit";
  EXPECT_EQ(bytes.back(), 255) << "the padding count";
  auto tcc = packet->extension(rtc::kOfferTransportCcId);
  ASSERT_TRUE(tcc);
  EXPECT_EQ(rtp::read_transport_sequence(*tcc), 4242);

  // The next retransmission continues after the padding.
  down.retransmit(o[0].seq, now + std::chrono::milliseconds(200));
  EXPECT_EQ(read(sink.sent.back()).seq, static_cast<std::uint16_t>(rtx.seq + 2));

  down.set_rtx(false);
  EXPECT_FALSE(down.can_pad());
  EXPECT_EQ(down.write_padding(buffer, 255, 4243, now), 0u) << "no RTX stream, no padding";
}

TEST_F(VideoFixture, RetransmitsPlainWhenRtxIsOff) {
  down.set_rtx(false);
  down.set_target_layer(1);
  send_one(1, 0, true);
  send_one(1, 1, false);
  const auto o = outs();
  ASSERT_EQ(o.size(), 4u);
  down.retransmit(o[2].seq, now);
  ASSERT_EQ(sink.sent.size(), 5u);
  const auto again = read(sink.sent.back());
  EXPECT_EQ(again.ssrc, kOutSsrc);
  EXPECT_EQ(again.pt, rtc::kOfferVp8PayloadType);
  EXPECT_EQ(again.seq, o[2].seq);
  EXPECT_EQ(again.ts, o[2].ts);
  EXPECT_EQ(again.payload, o[2].payload);
  ASSERT_TRUE(again.transport_seq);
  EXPECT_NE(*again.transport_seq, *o[2].transport_seq);
}

TEST_F(VideoFixture, RetransmitsAfterALayerSwitchFromTheNewLayersCache) {
  down.set_target_layer(0);
  send_all(0, {true, true, true});
  down.set_target_layer(1);
  send_all(1, {false, true, false});
  send_all(2, {false, false, false});
  const auto o = outs();
  ASSERT_EQ(o.size(), 8u);  // frame 0 and 1 of layer 0, then frames 1 and 2 of layer 1
  ASSERT_EQ(tag_of(o[4].payload).layer, 1);
  ASSERT_EQ(tag_of(o[7].payload).layer, 1);
  down.retransmit(o[7].seq, now);
  ASSERT_EQ(sink.sent.size(), 9u);
  const auto rtx = read(sink.sent.back());
  EXPECT_EQ(rtx.ssrc, kOutRtx);
  EXPECT_EQ(static_cast<std::uint16_t>(rtx.payload[0] << 8 | rtx.payload[1]), o[7].seq);
  EXPECT_EQ(Bytes(rtx.payload.begin() + 2, rtx.payload.end()), o[7].payload);
}

TEST_F(VideoFixture, NackForAnUnknownSequenceNumberSendsNothing) {
  down.set_target_layer(0);
  // Before anything was sent.
  down.retransmit(1234, now);
  EXPECT_TRUE(sink.sent.empty());
  send_all(0, {true, true, true});
  send_all(1, {false, false, false});
  const auto o = outs();
  ASSERT_EQ(o.size(), 4u);
  // Ahead of what was sent, and long before it.
  down.retransmit(static_cast<std::uint16_t>(o.back().seq + 1), now);
  down.retransmit(static_cast<std::uint16_t>(o.back().seq + 500), now);
  down.retransmit(static_cast<std::uint16_t>(o.front().seq - 1), now);
  down.retransmit(static_cast<std::uint16_t>(o.front().seq - 20000), now);
  EXPECT_EQ(sink.sent.size(), 4u);
  EXPECT_EQ(down.stats().retransmitted, 0u);
  EXPECT_EQ(down.stats().nacks_received, 5u);
}

TEST_F(VideoFixture, RepeatedNackWithin100msIsAnsweredOnce) {
  down.set_target_layer(0);
  send_all(0, {true, true, true});
  const auto o = outs();
  ASSERT_EQ(o.size(), 2u);
  down.retransmit(o[0].seq, now);
  down.retransmit(o[0].seq, now + 10ms);
  EXPECT_EQ(sink.sent.size(), 3u);
  down.retransmit(o[0].seq, now + 150ms);
  EXPECT_EQ(sink.sent.size(), 4u);
}

TEST(DownTrackFormat, AnotherNegotiatedFormatIsWrittenAsNegotiated) {
  // A WHEP viewer's answer chose its own payload types and extension ids.
  Vp8Publisher pub;
  auto track = video_track(pub);
  FakeSink sink;
  OutgoingFormat format;
  format.payload_type = 120;
  format.rtx_payload_type = 121;
  format.abs_send_time_id = 7;
  format.transport_cc_id = 9;
  DownTrack down(*track, sink, "0", kOutSsrc, kOutRtx, format);
  down.set_layers(all_active());
  down.set_target_layer(0);
  const auto now = Clock::time_point{} + 10s;
  for (auto& bytes : pub.frame(0, 0, true)) {
    auto p = rtp::RtpPacket::parse(bytes);
    ASSERT_TRUE(p);
    track->layers[0].cache.insert(p->sequence_number(), p->bytes(), now);
    down.forward(*p, 0, p->sequence_number() == 65500, now);
  }
  ASSERT_EQ(sink.sent.size(), 2u);
  auto first = rtp::RtpPacket::parse(sink.sent[0].bytes);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->payload_type(), 120);
  ASSERT_TRUE(first->extension(9));
  EXPECT_EQ(rtp::read_transport_sequence(*first->extension(9)), sink.sent[0].transport_seq);
  EXPECT_TRUE(first->extension(7));
  EXPECT_FALSE(first->extension(rtc::kOfferTransportCcId));
  down.retransmit(first->sequence_number(), now);
  ASSERT_EQ(sink.sent.size(), 3u);
  auto rtx = rtp::RtpPacket::parse(sink.sent[2].bytes);
  ASSERT_TRUE(rtx);
  EXPECT_EQ(rtx->payload_type(), 121);
  EXPECT_EQ(rtx->ssrc(), kOutRtx);
}

// --- audio ------------------------------------------------------------------

struct OpusPublisher {
  std::uint32_t ssrc = 0xA11CE;
  std::uint16_t seq = 65534;  // wraps at once
  std::uint32_t ts = 123456;

  Bytes packet(std::uint8_t level, std::uint8_t n) {
    const std::array<std::uint8_t, 1> lvl = {level};
    const std::array<rtp::HeaderExtension, 1> exts = {rtp::HeaderExtension{kPublisherLevelId, lvl}};
    const Bytes payload = {0xFC, n, 0x01, 0x02, 0x03};
    rtp::RtpPacketSpec spec;
    spec.payload_type = kPublisherOpusPt;
    spec.sequence_number = seq++;
    spec.timestamp = ts;
    ts += 960;  // 20 ms at 48 kHz
    spec.ssrc = ssrc;
    spec.extensions = exts;
    spec.payload = payload;
    Bytes out(1500);
    auto w = rtp::write_rtp_packet(out, spec);
    EXPECT_TRUE(w);
    out.resize(w ? *w : 0);
    return out;
  }
};

class AudioFixture : public ::testing::Test {
 protected:
  AudioFixture() : track(make_track()), down(*track, sink, "0", kOutSsrc, 0, OutgoingFormat::of_our_offer(true)) {}

  static std::unique_ptr<PublishedTrack> make_track() {
    auto t = std::make_unique<PublishedTrack>();
    t->id = "p_pub-0";
    t->mid = "0";
    t->kind = sdp::MediaKind::Audio;
    t->source = Source::Microphone;
    t->payload_type = kPublisherOpusPt;
    t->clock_rate = 48000;
    t->audio_level_id = kPublisherLevelId;
    t->layers.emplace_back();
    t->layers[0].cache = PacketCache(64);
    t->layers[0].ssrc = 0xA11CE;
    return t;
  }

  void send(std::uint8_t level, std::uint8_t n) {
    const auto bytes = pub.packet(level, n);
    auto p = rtp::RtpPacket::parse(bytes);
    ASSERT_TRUE(p);
    track->layers[0].cache.insert(p->sequence_number(), p->bytes(), now);
    down.forward(*p, 0, false, now);
    now += 20ms;
  }

  Clock::time_point now = Clock::time_point{} + 50s;
  OpusPublisher pub;
  FakeSink sink;
  std::unique_ptr<PublishedTrack> track;
  DownTrack down;
};

TEST_F(AudioFixture, ForwardsWithOpusPayloadTypeAndTheAudioLevel) {
  for (std::uint8_t i = 0; i < 5; ++i) send(static_cast<std::uint8_t>(0x80 | (30 + i)), i);
  ASSERT_EQ(sink.sent.size(), 5u);
  for (std::size_t i = 0; i < sink.sent.size(); ++i) {
    SCOPED_TRACE(i);
    const auto o = read(sink.sent[i]);
    EXPECT_EQ(o.ssrc, kOutSsrc);
    EXPECT_EQ(o.pt, rtc::kOfferOpusPayloadType);
    ASSERT_TRUE(o.audio_level);
    EXPECT_EQ(*o.audio_level, Bytes{static_cast<std::uint8_t>(0x80 | (30 + i))});
    EXPECT_TRUE(o.abs_send_time);
    ASSERT_TRUE(o.transport_seq);
    EXPECT_EQ(*o.transport_seq, o.sink_transport_seq);
    EXPECT_EQ(o.payload, (Bytes{0xFC, static_cast<std::uint8_t>(i), 0x01, 0x02, 0x03}));
    if (i > 0) {
      const auto prev = read(sink.sent[i - 1]);
      EXPECT_EQ(o.seq, static_cast<std::uint16_t>(prev.seq + 1));
      EXPECT_EQ(o.ts - prev.ts, 960u);
      EXPECT_EQ(*o.transport_seq, static_cast<std::uint16_t>(*prev.transport_seq + 1));
    }
  }
}

TEST_F(AudioFixture, MutedSendsNothingAndUnmuteContinuesWithoutAGap) {
  for (std::uint8_t i = 0; i < 3; ++i) send(0x90, i);
  down.set_paused(true);
  for (std::uint8_t i = 3; i < 53; ++i) send(0x90, i);  // one second muted
  EXPECT_EQ(sink.sent.size(), 3u);
  down.set_paused(false);
  for (std::uint8_t i = 53; i < 56; ++i) send(0x90, i);
  ASSERT_EQ(sink.sent.size(), 6u);
  const auto a = read(sink.sent[2]);
  const auto b = read(sink.sent[3]);
  EXPECT_EQ(b.seq, static_cast<std::uint16_t>(a.seq + 1)) << "the subscriber must not see 50 lost packets";
  EXPECT_EQ(b.payload[1], 53);
  // About a second of audio passed: the timestamp says so.
  const auto jump = b.ts - a.ts;
  EXPECT_GE(jump, 48000u * 95 / 100);
  EXPECT_LE(jump, 48000u * 105 / 100);
  const auto c = read(sink.sent[4]);
  EXPECT_EQ(c.seq, static_cast<std::uint16_t>(b.seq + 1));
  EXPECT_EQ(c.ts - b.ts, 960u);
}

TEST_F(AudioFixture, ATrackMutedAtSubscribeTimeStartsPaused) {
  track->muted = true;
  DownTrack late(*track, sink, "1", 0x5555, 0, OutgoingFormat::of_our_offer(true));
  const auto bytes = pub.packet(0x90, 1);
  auto p = rtp::RtpPacket::parse(bytes);
  ASSERT_TRUE(p);
  late.forward(*p, 0, false, now);
  EXPECT_TRUE(sink.sent.empty());
}

TEST_F(AudioFixture, AudioNackRetransmitsPlainOnItsOwnSsrc) {
  for (std::uint8_t i = 0; i < 4; ++i) send(0x90, i);
  const auto lost = read(sink.sent[1]);
  down.retransmit(lost.seq, now);
  ASSERT_EQ(sink.sent.size(), 5u);
  const auto again = read(sink.sent.back());
  EXPECT_EQ(again.ssrc, kOutSsrc) << "no RTX SSRC for audio";
  EXPECT_EQ(again.pt, rtc::kOfferOpusPayloadType);
  EXPECT_EQ(again.seq, lost.seq);
  EXPECT_EQ(again.payload, lost.payload);
}

// --- audio redundancy (RFC 2198) --------------------------------------------

constexpr std::uint8_t kPublisherRedPt = 121;  // the publisher's red; ours is 63

// One Opus frame of the publisher, tagged with its number.
Bytes opus_frame(std::uint8_t n) { return {0xFC, n, 0x01, 0x02}; }

// RFC 2198 §3 built by hand: the frames n-2 and n-1 again (4-byte headers,
// F=1, timestamp offsets 1920 and 960), then frame n (1-byte header, F=0),
// every block under `opus_pt`.
Bytes red_payload(std::uint8_t n, std::uint8_t opus_pt) {
  Bytes out;
  const auto header = [&](std::uint32_t offset, std::size_t length) {
    const std::uint32_t v = offset << 10 | static_cast<std::uint32_t>(length);
    out.insert(out.end(), {static_cast<std::uint8_t>(0x80 | opus_pt), static_cast<std::uint8_t>(v >> 16),
                           static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)});
  };
  header(1920, opus_frame(0).size());
  header(960, opus_frame(0).size());
  out.push_back(opus_pt);
  for (const std::uint8_t k : {static_cast<std::uint8_t>(n - 2), static_cast<std::uint8_t>(n - 1), n}) {
    const auto f = opus_frame(k);
    out.insert(out.end(), f.begin(), f.end());
  }
  return out;
}

// Chromium with red first in our answer: RED packets under its red PT, the
// blocks under its opus PT.
struct RedPublisher {
  std::uint32_t ssrc = 0xA11CE;
  std::uint16_t seq = 65533;
  std::uint32_t ts = 123456;

  Bytes packet(std::uint8_t payload_type, std::span<const std::uint8_t> payload) {
    const std::array<std::uint8_t, 1> lvl = {0x90};
    const std::array<rtp::HeaderExtension, 1> exts = {rtp::HeaderExtension{kPublisherLevelId, lvl}};
    rtp::RtpPacketSpec spec;
    spec.payload_type = payload_type;
    spec.sequence_number = seq++;
    spec.timestamp = ts;
    ts += 960;
    spec.ssrc = ssrc;
    spec.extensions = exts;
    spec.payload = payload;
    Bytes out(1500);
    auto w = rtp::write_rtp_packet(out, spec);
    EXPECT_TRUE(w);
    out.resize(w ? *w : 0);
    return out;
  }
  Bytes red(std::uint8_t n) { return packet(kPublisherRedPt, red_payload(n, kPublisherOpusPt)); }
  Bytes opus(std::uint8_t n) { return packet(kPublisherOpusPt, opus_frame(n)); }
};

// One publisher with red, two subscribers of our offer: one whose answer
// kept red, one whose answer did not.
class RedFixture : public ::testing::Test {
 protected:
  RedFixture()
      : track(make_track()),
        with_red(*track, red_sink, "0", kOutSsrc, 0, OutgoingFormat::of_our_offer(true)),
        without_red(*track, opus_sink, "0", kOutSsrc, 0, OutgoingFormat::of_our_offer(true)) {
    with_red.set_red_payload_type(rtc::kOfferRedPayloadType);
  }

  static std::unique_ptr<PublishedTrack> make_track() {
    auto t = std::make_unique<PublishedTrack>();
    t->id = "p_pub-0";
    t->mid = "0";
    t->kind = sdp::MediaKind::Audio;
    t->payload_type = kPublisherOpusPt;
    t->red_payload_type = kPublisherRedPt;
    t->clock_rate = 48000;
    t->audio_level_id = kPublisherLevelId;
    t->layers.emplace_back();
    t->layers[0].cache = PacketCache(64);
    t->layers[0].ssrc = 0xA11CE;
    return t;
  }

  void send(const Bytes& bytes) {
    auto p = rtp::RtpPacket::parse(bytes);
    ASSERT_TRUE(p);
    track->layers[0].cache.insert(p->sequence_number(), p->bytes(), now);
    with_red.forward(*p, 0, false, now);
    without_red.forward(*p, 0, false, now);
    now += 20ms;
  }

  // Sequence numbers +1 and timestamps +960 from packet to packet.
  static void expect_continuous(const FakeSink& sink) {
    for (std::size_t i = 1; i < sink.sent.size(); ++i) {
      SCOPED_TRACE(i);
      const auto a = read(sink.sent[i - 1]);
      const auto b = read(sink.sent[i]);
      EXPECT_EQ(b.seq, static_cast<std::uint16_t>(a.seq + 1));
      EXPECT_EQ(b.ts - a.ts, 960u);
    }
  }

  Clock::time_point now = Clock::time_point{} + 50s;
  RedPublisher pub;
  FakeSink red_sink, opus_sink;
  std::unique_ptr<PublishedTrack> track;
  DownTrack with_red, without_red;
};

TEST_F(RedFixture, RedGoesOutAsRedToASubscriberThatKeptIt) {
  for (std::uint8_t n = 2; n < 7; ++n) send(pub.red(n));
  ASSERT_EQ(red_sink.sent.size(), 5u);
  for (std::size_t i = 0; i < red_sink.sent.size(); ++i) {
    SCOPED_TRACE(i);
    const auto o = read(red_sink.sent[i]);
    EXPECT_EQ(o.ssrc, kOutSsrc);
    EXPECT_EQ(o.pt, rtc::kOfferRedPayloadType);
    // The blocks unchanged, their headers naming opus as the subscriber does (111, not 109).
    EXPECT_EQ(o.payload, red_payload(static_cast<std::uint8_t>(i + 2), rtc::kOfferOpusPayloadType));
    EXPECT_TRUE(o.audio_level);
  }
  expect_continuous(red_sink);
}

TEST_F(RedFixture, RedIsStrippedToThePrimaryOpusForASubscriberWithout) {
  for (std::uint8_t n = 2; n < 7; ++n) send(pub.red(n));
  ASSERT_EQ(opus_sink.sent.size(), 5u);
  for (std::size_t i = 0; i < opus_sink.sent.size(); ++i) {
    SCOPED_TRACE(i);
    const auto o = read(opus_sink.sent[i]);
    EXPECT_EQ(o.pt, rtc::kOfferOpusPayloadType);
    EXPECT_EQ(o.payload, opus_frame(static_cast<std::uint8_t>(i + 2))) << "the primary block alone";
  }
  expect_continuous(opus_sink);
  // The sender report counts what went out.
  EXPECT_EQ(without_red.octets_sent(), 5u * opus_frame(0).size());
}

TEST_F(RedFixture, PlainOpusGoesOutAsOpusEvenToARedSubscriber) {
  // Chromium falls back to plain opus (e.g. renegotiated without red).
  send(pub.red(2));
  send(pub.opus(3));
  send(pub.red(4));
  ASSERT_EQ(red_sink.sent.size(), 3u);
  EXPECT_EQ(read(red_sink.sent[0]).pt, rtc::kOfferRedPayloadType);
  EXPECT_EQ(read(red_sink.sent[1]).pt, rtc::kOfferOpusPayloadType);
  EXPECT_EQ(read(red_sink.sent[1]).payload, opus_frame(3));
  EXPECT_EQ(read(red_sink.sent[2]).pt, rtc::kOfferRedPayloadType);
  expect_continuous(red_sink);
  ASSERT_EQ(opus_sink.sent.size(), 3u);
  for (const auto& sent : opus_sink.sent) EXPECT_EQ(read(sent).pt, rtc::kOfferOpusPayloadType);
  expect_continuous(opus_sink);
}

TEST_F(RedFixture, RedStartsWhenTheSubscribersAnswerKeepsIt) {
  // Until the answer comes, a new down track sends opus alone.
  without_red.forward(*rtp::RtpPacket::parse(pub.red(2)), 0, false, now);
  without_red.set_red_payload_type(rtc::kOfferRedPayloadType);
  now += 20ms;
  const auto next = pub.red(3);
  without_red.forward(*rtp::RtpPacket::parse(next), 0, false, now);
  ASSERT_EQ(opus_sink.sent.size(), 2u);
  EXPECT_EQ(read(opus_sink.sent[0]).pt, rtc::kOfferOpusPayloadType);
  EXPECT_EQ(read(opus_sink.sent[1]).pt, rtc::kOfferRedPayloadType);
  expect_continuous(opus_sink);
}

TEST_F(RedFixture, MalformedRedIsDropped) {
  send(pub.red(2));
  const std::vector<Bytes> bad = {
      {},                                   // no header at all
      {0xED, 0x1E, 0x00},                   // a redundant header cut short
      {0xED, 0x1E, 0x00, 0x04},             // no primary header
      {0xED, 0x1E, 0x03, 0xFF, 0x6D, 0xAA},  // a 1023-byte block in 1 byte
      {0x00, 0xAA, 0xBB},                   // a primary that is not the publisher's opus (PT 0)
  };
  for (const auto& payload : bad) send(pub.packet(kPublisherRedPt, payload));
  send(pub.red(8));
  // Nothing of the five went out, to either subscriber; the next good packet did.
  for (const auto* sink : {&red_sink, &opus_sink}) {
    ASSERT_EQ(sink->sent.size(), 2u);
    const auto a = read(sink->sent[0]);
    const auto b = read(sink->sent[1]);
    // The five are a gap in the numbering, as upstream loss would be.
    EXPECT_EQ(b.seq, static_cast<std::uint16_t>(a.seq + 6));
  }
  EXPECT_EQ(read(opus_sink.sent[1]).payload, opus_frame(8));
}

TEST_F(RedFixture, ARetransmissionFollowsTheSubscribersFormat) {
  for (std::uint8_t n = 2; n < 6; ++n) send(pub.red(n));
  const auto lost_red = read(red_sink.sent[1]);
  const auto lost_opus = read(opus_sink.sent[1]);
  with_red.retransmit(lost_red.seq, now);
  without_red.retransmit(lost_opus.seq, now);
  ASSERT_EQ(red_sink.sent.size(), 5u);
  ASSERT_EQ(opus_sink.sent.size(), 5u);
  const auto again_red = read(red_sink.sent.back());
  EXPECT_EQ(again_red.pt, rtc::kOfferRedPayloadType);
  EXPECT_EQ(again_red.seq, lost_red.seq);
  EXPECT_EQ(again_red.payload, lost_red.payload);
  const auto again_opus = read(opus_sink.sent.back());
  EXPECT_EQ(again_opus.pt, rtc::kOfferOpusPayloadType);
  EXPECT_EQ(again_opus.seq, lost_opus.seq);
  EXPECT_EQ(again_opus.payload, opus_frame(3));
}

}  // namespace
}  // namespace parley::sfu
