// libFuzzer target for the STUN codec (src/stun): every input is tried as a
// STUN message and as ChannelData in both framings. Beyond "no crash, no
// out-of-bounds read", whatever parses must hold together: typed attributes
// re-encode stably, a re-encoded message parses and verifies, and a message
// with nothing to re-sign re-encodes to the same bytes.
//
// Built as `stun_fuzz` with Clang (libFuzzer) and as `stun_fuzz_replay` with
// any compiler (replay_main.cpp), which runs as a unit test.

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <source_location>
#include <span>
#include <tuple>
#include <vector>

#include "stun/stun.hpp"

namespace {

using namespace parley::stun;

// A broken invariant is a codec bug: abort so that libFuzzer (or the replay
// test) reports the input.
void require(bool ok, const char* what,
             std::source_location where = std::source_location::current()) {
  if (ok) return;
  std::fprintf(stderr, "stun_fuzz: invariant failed: %s (%s:%u)\n", what, where.file_name(),
               static_cast<unsigned>(where.line()));
  std::abort();
}

constexpr std::array<std::uint8_t, 16> kKey = {'f', 'u', 'z', 'z', '-', 'k', 'e', 'y',
                                               0,   1,   2,   3,   4,   5,   6,   7};

bool same(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  return std::ranges::equal(a, b);
}

// Encodes one typed attribute alone and returns its value bytes.
template <EncodableAttribute A>
std::vector<std::uint8_t> encode_value(const A& attribute, const TransactionId& id) {
  Builder builder(Method::Binding, MessageClass::Indication, id);
  builder.add(attribute);
  const auto bytes = builder.finish();
  require(bytes.has_value(), "a decoded attribute encodes again");
  const auto message = Message::parse(*bytes);
  require(message.has_value(), "a builder's message parses");
  const auto raw = message->find(A::kType);
  require(raw.has_value(), "the encoded attribute is found");
  return {raw->value.begin(), raw->value.end()};
}

// decode -> encode -> decode -> encode must be stable: the second encoding
// equals the first (the first may differ from the input: reserved bits,
// optional inner padding).
template <DecodableAttribute A>
void check_typed(const RawAttribute& raw, const TransactionId& id) {
  if (raw.type != A::kType) return;
  const auto decoded = A::decode(raw.value, id);
  if (!decoded) return;
  if constexpr (EncodableAttribute<A>) {
    const auto first = encode_value(*decoded, id);
    const auto again = A::decode(first, id);
    require(again.has_value(), "an encoded attribute decodes");
    require(same(encode_value(*again, id), first), "attribute re-encoding is stable");
  }
}

void check_all_types(const RawAttribute& raw, const TransactionId& id) {
  std::apply(
      [&](const auto&... attribute) {
        (check_typed<std::decay_t<decltype(attribute)>>(raw, id), ...);
      },
      KnownAttributes{});
}

// Copies every attribute that counts, padding included, and re-signs the
// trailers with kKey.
std::vector<std::uint8_t> reencode(const Message& message) {
  Builder builder(message.type(), message.transaction_id());
  for (const RawAttribute& a : message.attributes()) {
    switch (a.type) {
      case AttributeType::MessageIntegrity: builder.add_message_integrity(kKey); break;
      case AttributeType::MessageIntegritySha256:
        if (MessageIntegritySha256::decode(a.value, message.transaction_id())) {
          builder.add_message_integrity_sha256(kKey, a.value.size());
        } else {
          builder.add_raw(a.type, a.value, a.padding);
        }
        break;
      case AttributeType::Fingerprint: builder.add_fingerprint(); break;
      default: builder.add_raw(a.type, a.value, a.padding); break;
    }
  }
  auto bytes = builder.release();
  require(bytes.has_value(), "attributes that parsed can be re-encoded");
  return *bytes;
}

void check_stun(std::span<const std::uint8_t> input) {
  const auto message = Message::parse(input);
  if (!message) return;

  require(message_size(input).value_or(0) == input.size(), "message_size agrees with parse");
  require(looks_like_stun(input), "a parsed message looks like STUN");

  std::size_t counted_bytes = 0;
  std::size_t previous_offset = 0;
  for (const RawAttribute& a : message->attributes()) {
    require(a.offset >= kHeaderSize && (previous_offset == 0 || a.offset > previous_offset),
            "attributes come in order");
    require(a.value.data() >= input.data() &&
                a.padding.data() + a.padding.size() <= input.data() + input.size(),
            "attribute views stay inside the input");
    previous_offset = a.offset;
    counted_bytes += kAttributeHeaderSize + a.value.size() + a.padding.size();
    check_all_types(a, message->transaction_id());
  }
  (void)message->unknown_comprehension_required();

  // Any result is fine; none may crash or read out of bounds.
  (void)verify_message_integrity(*message, kKey);
  (void)verify_message_integrity_sha256(*message, kKey);
  (void)verify_integrity(*message, {});
  const bool fingerprint_ok = verify_fingerprint(*message).has_value();

  const auto& trailers = message->trailers();
  const bool has_mi = trailers.integrity != TrailerLayout::kAbsent;
  const bool has_mi256 = trailers.integrity_sha256 != TrailerLayout::kAbsent;
  const bool has_fp = trailers.fingerprint != TrailerLayout::kAbsent;

  const auto bytes = reencode(*message);
  const auto again = Message::parse(bytes);
  require(again.has_value(), "a re-encoded message parses");
  require(again->type() == message->type(), "type survives re-encoding");
  require(again->transaction_id() == message->transaction_id(), "id survives re-encoding");
  if (has_mi) require(verify_message_integrity(*again, kKey).has_value(), "re-signed MI verifies");
  if (has_mi256 && MessageIntegritySha256::decode(
                       again->find(AttributeType::MessageIntegritySha256)->value, {})) {
    require(verify_message_integrity_sha256(*again, kKey).has_value(), "re-signed MI256 verifies");
  }
  if (has_fp) require(verify_fingerprint(*again).has_value(), "re-computed FINGERPRINT verifies");

  const bool nothing_ignored = counted_bytes == input.size() - kHeaderSize;
  if (nothing_ignored && !has_mi && !has_mi256 && (!has_fp || fingerprint_ok)) {
    require(same(bytes, input), "a message with nothing to re-sign re-encodes identically");
  }
}

void check_channel_data(std::span<const std::uint8_t> input, Framing framing) {
  const auto parsed = parse_channel_data(input, framing);
  const auto size = channel_data_size(input, framing);
  if (!parsed) return;
  require(size.has_value() && *size <= input.size(), "channel_data_size agrees with parse");
  require(is_valid_channel_number(parsed->channel), "parsed channel is in range");

  std::vector<std::uint8_t> out(channel_data_encoded_size(parsed->data.size(), framing));
  const auto written = encode_channel_data(out, parsed->channel, parsed->data, framing);
  require(written.has_value() && *written == out.size(), "ChannelData re-encodes");
  const std::size_t meaningful = kChannelDataHeaderSize + parsed->data.size();
  require(same(std::span(out).first(meaningful), input.first(meaningful)),
          "ChannelData re-encodes to the same header and data");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // An empty input may come with a null pointer; a span of it is still fine.
  const std::span<const std::uint8_t> input(data, size);
  check_stun(input);
  check_channel_data(input, Framing::Datagram);
  check_channel_data(input, Framing::Stream);
  return 0;
}
