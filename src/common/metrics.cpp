#include "common/metrics.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace parley::metrics {

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size())) {}

void Histogram::observe(double v) {
  for (std::size_t i = 0; i < bounds_.size(); ++i) {
    if (v <= bounds_[i]) {
      buckets_[i].fetch_add(1, std::memory_order_relaxed);
      break;
    }
  }
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_micro_.fetch_add(static_cast<std::uint64_t>(v * 1e6), std::memory_order_relaxed);
}

std::vector<std::uint64_t> Histogram::cumulative_counts() const {
  std::vector<std::uint64_t> out(bounds_.size());
  std::uint64_t running = 0;
  for (std::size_t i = 0; i < bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    out[i] = running;
  }
  return out;
}

double Histogram::sum() const {
  return static_cast<double>(sum_micro_.load(std::memory_order_relaxed)) / 1e6;
}

Registry::Entry& Registry::find_or_add(const std::string& name, const std::string& help,
                                       Kind kind) {
  std::lock_guard lock(mutex_);
  for (auto& e : entries_) {
    if (e->name == name) {
      if (e->kind != kind) throw std::logic_error("metric " + name + " registered twice");
      return *e;
    }
  }
  auto e = std::make_unique<Entry>();
  e->name = name;
  e->help = help;
  e->kind = kind;
  entries_.push_back(std::move(e));
  return *entries_.back();
}

Family<Counter>& Registry::counter(const std::string& name, const std::string& help) {
  auto& e = find_or_add(name, help, Kind::counter);
  if (!e.counters) e.counters = std::make_unique<Family<Counter>>();
  return *e.counters;
}

Family<Gauge>& Registry::gauge(const std::string& name, const std::string& help) {
  auto& e = find_or_add(name, help, Kind::gauge);
  if (!e.gauges) e.gauges = std::make_unique<Family<Gauge>>();
  return *e.gauges;
}

Family<Histogram>& Registry::histogram(const std::string& name, const std::string& help,
                                       std::vector<double> bounds) {
  auto& e = find_or_add(name, help, Kind::histogram);
  if (!e.histograms) e.histograms = std::make_unique<Family<Histogram>>(std::move(bounds));
  return *e.histograms;
}

namespace {
std::string escape(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

std::string label_text(const Labels& labels, const std::string& extra = {}) {
  if (labels.empty() && extra.empty()) return {};
  std::string s = "{";
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) s += ',';
    first = false;
    s += k + "=\"" + escape(v) + "\"";
  }
  if (!extra.empty()) {
    if (!first) s += ',';
    s += extra;
  }
  return s + "}";
}
}  // namespace

std::string Registry::render() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const auto& e : entries_) {
    static constexpr const char* kType[] = {"counter", "gauge", "histogram"};
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", e->name, e->help, e->name,
                       kType[static_cast<int>(e->kind)]);
    if (e->counters)
      e->counters->each([&](const Labels& l, const Counter& c) {
        out += fmt::format("{}{} {}\n", e->name, label_text(l), c.value());
      });
    if (e->gauges)
      e->gauges->each([&](const Labels& l, const Gauge& g) {
        out += fmt::format("{}{} {}\n", e->name, label_text(l), g.value());
      });
    if (e->histograms)
      e->histograms->each([&](const Labels& l, const Histogram& h) {
        const auto counts = h.cumulative_counts();
        for (std::size_t i = 0; i < counts.size(); ++i)
          out += fmt::format("{}_bucket{} {}\n", e->name,
                             label_text(l, fmt::format("le=\"{}\"", h.bounds()[i])), counts[i]);
        out += fmt::format("{}_bucket{} {}\n", e->name, label_text(l, "le=\"+Inf\""), h.count());
        out += fmt::format("{}_sum{} {}\n", e->name, label_text(l), h.sum());
        out += fmt::format("{}_count{} {}\n", e->name, label_text(l), h.count());
      });
  }
  return out;
}

}  // namespace parley::metrics
