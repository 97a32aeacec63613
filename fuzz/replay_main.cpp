// Runs a fuzz target's LLVMFuzzerTestOneInput without libFuzzer, so that the
// fuzz entry points build with any compiler and run as ordinary tests, under
// the sanitizers too. Link it with one target's source.
//
//   usage: <target>_replay [--mutations N] [--seed S] PATH...
//
// Every regular file under each PATH (a file or a directory, recursively) is
// one input. Then N more inputs are derived from them by random mutation from
// a fixed seed, so a run is repeatable; a crash prints the seed, the
// iteration and the input in hex.

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

using Bytes = std::vector<std::uint8_t>;

struct Options {
  std::size_t mutations = 0;
  std::uint64_t seed = 1;
  std::vector<std::filesystem::path> paths;
};

std::optional<Options> parse_options(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if ((arg == "--mutations" || arg == "--seed") && i + 1 < argc) {
      const auto value = std::strtoull(argv[++i], nullptr, 10);
      (arg == "--mutations" ? options.mutations : options.seed) = value;
    } else if (arg.starts_with("--")) {
      return std::nullopt;
    } else {
      options.paths.emplace_back(arg);
    }
  }
  return options;
}

Bytes read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Sorted, so that the mutations (which pick inputs by index) are repeatable.
std::vector<Bytes> load_inputs(const std::vector<std::filesystem::path>& paths) {
  std::vector<std::filesystem::path> files;
  for (const auto& path : paths) {
    if (std::filesystem::is_directory(path)) {
      for (const auto& entry : std::filesystem::recursive_directory_iterator(path)) {
        if (entry.is_regular_file()) files.push_back(entry.path());
      }
    } else if (std::filesystem::is_regular_file(path)) {
      files.push_back(path);
    } else {
      std::fprintf(stderr, "replay: no such file or directory: %s\n", path.c_str());
      std::exit(2);
    }
  }
  std::ranges::sort(files);
  std::vector<Bytes> inputs;
  for (const auto& file : files) inputs.push_back(read_file(file));
  return inputs;
}

// Mutations in the spirit of libFuzzer's: bit flips, interesting values,
// insertions, deletions, splices. STUN-like inputs also get their length field
// fixed up half of the time, so mutations reach the attribute decoders instead
// of stopping at the header check.
class Mutator {
 public:
  explicit Mutator(std::uint64_t seed) : rng_(seed) {}

  Bytes mutate(const std::vector<Bytes>& corpus) {
    if (corpus.empty() || below(16) == 0) return random_bytes(below(96));
    Bytes bytes = corpus[below(corpus.size())];
    for (std::size_t n = 1 + below(4); n > 0; --n) mutate_once(bytes, corpus);
    if (below(2) == 0) fix_stun_length(bytes);
    return bytes;
  }

 private:
  std::size_t below(std::size_t n) {
    return n == 0 ? 0 : std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_);
  }
  std::uint8_t any_byte() { return static_cast<std::uint8_t>(below(256)); }

  Bytes random_bytes(std::size_t size) {
    Bytes bytes(size);
    for (auto& b : bytes) b = any_byte();
    return bytes;
  }

  void mutate_once(Bytes& bytes, const std::vector<Bytes>& corpus) {
    static constexpr std::array<std::uint16_t, 9> kInteresting16 = {
        0x0000, 0x0001, 0x0004, 0x0014, 0x0020, 0x7FFF, 0x8000, 0xFFFC, 0xFFFF};
    switch (below(7)) {
      case 0:  // flip a bit
        if (!bytes.empty()) bytes[below(bytes.size())] ^= static_cast<std::uint8_t>(1 << below(8));
        break;
      case 1:  // set a byte
        if (!bytes.empty()) bytes[below(bytes.size())] = any_byte();
        break;
      case 2:  // write an interesting 16-bit value at an even offset (types, lengths)
        if (bytes.size() >= 2) {
          const std::size_t at = below(bytes.size() / 2) * 2;
          const std::uint16_t v = kInteresting16[below(kInteresting16.size())];
          bytes[at] = static_cast<std::uint8_t>(v >> 8);
          bytes[at + 1] = static_cast<std::uint8_t>(v);
        }
        break;
      case 3: {  // insert bytes
        const Bytes extra = random_bytes(1 + below(8));
        bytes.insert(bytes.begin() + static_cast<std::ptrdiff_t>(below(bytes.size() + 1)),
                     extra.begin(), extra.end());
        break;
      }
      case 4:  // erase bytes
        if (!bytes.empty()) {
          const std::size_t at = below(bytes.size());
          const std::size_t n = std::min(bytes.size() - at, 1 + below(8));
          bytes.erase(bytes.begin() + static_cast<std::ptrdiff_t>(at),
                      bytes.begin() + static_cast<std::ptrdiff_t>(at + n));
        }
        break;
      case 5:  // truncate
        bytes.resize(below(bytes.size() + 1));
        break;
      case 6: {  // splice the tail of another input
        const Bytes& other = corpus[below(corpus.size())];
        const std::size_t keep = below(bytes.size() + 1);
        const std::size_t from = below(other.size() + 1);
        bytes.resize(keep);
        bytes.insert(bytes.end(), other.begin() + static_cast<std::ptrdiff_t>(from), other.end());
        break;
      }
    }
  }

  // Makes the length field tell the truth, first trimming or zero-padding the
  // body to a multiple of 4 as RFC 8489 §5 requires.
  void fix_stun_length(Bytes& bytes) {
    if (bytes.size() < 20 || bytes[0] > 3) return;
    const std::size_t body = bytes.size() - 20;
    bytes.resize(20 + (below(2) == 0 ? body & ~std::size_t{3} : (body + 3) & ~std::size_t{3}), 0);
    const std::size_t length = std::min<std::size_t>(bytes.size() - 20, 0xFFFC);
    bytes[2] = static_cast<std::uint8_t>(length >> 8);
    bytes[3] = static_cast<std::uint8_t>(length);
  }

  std::mt19937_64 rng_;
};

// What is running, for the abort handler.
struct Current {
  const std::uint8_t* data = nullptr;
  std::size_t size = 0;
  std::uint64_t seed = 0;
  std::size_t iteration = 0;
};
Current g_current;

void write_all(const char* text, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(STDERR_FILENO, text, size);
    if (n <= 0) return;
    text += n;
    size -= static_cast<std::size_t>(n);
  }
}

// Only write(2) here: it runs inside abort().
void report_crash(int) {
  char line[96];
  const int n = std::snprintf(
      line, sizeof line, "\nreplay: crashed on seed %llu iteration %zu, input (%zu bytes):\n",
      static_cast<unsigned long long>(g_current.seed), g_current.iteration, g_current.size);
  write_all(line, static_cast<std::size_t>(n > 0 ? std::min<int>(n, sizeof line - 1) : 0));
  static constexpr char kDigits[] = "0123456789abcdef";
  for (std::size_t i = 0; i < g_current.size; ++i) {
    const char hex[3] = {kDigits[g_current.data[i] >> 4], kDigits[g_current.data[i] & 0xF],
                         (i % 32 == 31) ? '\n' : ' '};
    write_all(hex, 3);
  }
  write_all("\n", 1);
  ::signal(SIGABRT, SIG_DFL);
}

// A fresh exact-size allocation per input, so that AddressSanitizer sees any
// read past its end.
void run_one(const Bytes& input, std::size_t iteration) {
  auto copy = std::make_unique<std::uint8_t[]>(input.size() + (input.empty() ? 1 : 0));
  std::ranges::copy(input, copy.get());
  g_current.data = copy.get();
  g_current.size = input.size();
  g_current.iteration = iteration;
  LLVMFuzzerTestOneInput(copy.get(), input.size());
}

}  // namespace

int main(int argc, char** argv) {
  const auto options = parse_options(argc, argv);
  if (!options) {
    std::fprintf(stderr, "usage: %s [--mutations N] [--seed S] PATH...\n", argv[0]);
    return 2;
  }
  ::signal(SIGABRT, report_crash);
  g_current.seed = options->seed;

  const auto corpus = load_inputs(options->paths);
  std::size_t iteration = 0;
  for (const auto& input : corpus) run_one(input, iteration++);

  Mutator mutator(options->seed);
  for (std::size_t i = 0; i < options->mutations; ++i) run_one(mutator.mutate(corpus), iteration++);

  std::printf("replay: %zu corpus inputs, %zu mutations (seed %llu): ok\n", corpus.size(),
              options->mutations, static_cast<unsigned long long>(options->seed));
  return 0;
}
