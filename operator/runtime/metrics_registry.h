#pragma once
// Prometheus metrics: counters, gauges and histograms with bounded label sets, rendered in the
// text exposition format 0.0.4 for /metrics.
//
//   auto& total = registry.counter("leakguard_reconcile_total", "Reconciles by outcome",
//                                  {"controller", "result"});
//   total.labels({"policy", "success"}).inc();
//
// Thread safety: everything here is thread-safe. Counter/Gauge/Histogram updates are lock-free
// atomics; creating a series or rendering takes the family's mutex. References returned by
// labels() and by the registry stay valid for the registry's lifetime, except those of a series
// removed with remove()/removeIf() (a pod gone): code that removes series never keeps references.
//
// Misuse (a name that is not a valid Prometheus name or lacks the leakguard_ prefix, a label
// count that does not match the family, re-registering a name with another type or labels) is
// a programming error and throws std::invalid_argument at wiring time.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace lg::runtime {

// Monotonic counter.
class Counter {
 public:
  static constexpr std::string_view kType = "counter";
  void inc(double v = 1.0);  // v < 0 is ignored: counters never go down
  double value() const { return v_.load(std::memory_order_relaxed); }
  void render(std::string& out, std::string_view name, std::string_view labels) const;

 private:
  std::atomic<double> v_{0.0};
};

class Gauge {
 public:
  static constexpr std::string_view kType = "gauge";
  void set(double v) { v_.store(v, std::memory_order_relaxed); }
  void add(double v) { v_.fetch_add(v, std::memory_order_relaxed); }
  void inc() { add(1.0); }
  void dec() { add(-1.0); }
  double value() const { return v_.load(std::memory_order_relaxed); }
  void render(std::string& out, std::string_view name, std::string_view labels) const;

 private:
  std::atomic<double> v_{0.0};
};

// Cumulative histogram with fixed upper bounds (the +Inf bucket is implicit).
class Histogram {
 public:
  static constexpr std::string_view kType = "histogram";
  explicit Histogram(std::shared_ptr<const std::vector<double>> bounds);
  void observe(double v);
  std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  double sum() const { return sum_.load(std::memory_order_relaxed); }
  // Cumulative count of observations <= bounds()[i]; i == bounds().size() is +Inf.
  std::uint64_t cumulativeCount(std::size_t i) const;
  const std::vector<double>& bounds() const { return *bounds_; }
  void render(std::string& out, std::string_view name, std::string_view labels) const;

 private:
  std::shared_ptr<const std::vector<double>> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> buckets_;  // non-cumulative, size bounds+1
  std::atomic<std::uint64_t> count_{0};
  std::atomic<double> sum_{0.0};
};

// Default buckets for durations in seconds (5 ms .. 60 s).
const std::vector<double>& defaultDurationBuckets();

// Type-erased view of a family, for rendering.
class MetricFamilyBase {
 public:
  virtual ~MetricFamilyBase() = default;
  virtual std::string_view type() const = 0;
  virtual void render(std::string& out) const = 0;
  // Updates that went to the overflow series (label sets past maxSeries).
  virtual std::size_t dropped() const = 0;
  const std::string& name() const { return name_; }
  const std::vector<std::string>& labelNames() const { return labelNames_; }

 protected:
  MetricFamilyBase(std::string name, std::string help, std::vector<std::string> labelNames,
                   std::size_t maxSeries);
  void renderHeader(std::string& out, std::string_view type) const;
  // `{a="x",b="y"}` (escaped), or "" without labels.
  std::string labelString(const std::vector<std::string>& values) const;
  void checkArity(std::size_t n) const;

  std::string name_;
  std::string help_;
  std::vector<std::string> labelNames_;
  std::size_t maxSeries_;
};

// All series of one metric name. Series are created on first use of a label set; past
// maxSeries distinct label sets, further ones share one unexported overflow series so that a
// label fed from cluster data can never grow memory without bound. Those updates are counted
// (dropped()), and the registry renders the count as leakguard_metric_series_overflow_total.
// Series of things that went (a pod, a policy) are removed, so that the bound is only reached
// by that many live ones.
template <class M>
class Family final : public MetricFamilyBase {
 public:
  Family(std::string name, std::string help, std::vector<std::string> labelNames,
         std::size_t maxSeries, std::shared_ptr<const std::vector<double>> bounds = nullptr)
      : MetricFamilyBase(std::move(name), std::move(help), std::move(labelNames), maxSeries),
        bounds_(std::move(bounds)) {}

  M& labels(std::initializer_list<std::string_view> values) {
    return labels(std::vector<std::string>(values.begin(), values.end()));
  }
  M& labels(const std::vector<std::string>& values) {
    checkArity(values.size());
    std::lock_guard g(mu_);
    auto it = series_.find(values);
    if (it != series_.end()) return *it->second;
    if (series_.size() >= maxSeries_) {
      if (!overflow_) overflow_ = make();
      ++dropped_;
      return *overflow_;
    }
    return *series_.emplace(values, make()).first->second;
  }
  std::size_t dropped() const override {
    std::lock_guard g(mu_);
    return dropped_;
  }
  // Removes the series of these label values; false when there was none.
  bool remove(const std::vector<std::string>& values) {
    std::lock_guard g(mu_);
    return series_.erase(values) > 0;
  }
  // Removes every series whose label values `pred` accepts; returns how many.
  template <class Pred>
  std::size_t removeIf(Pred pred) {
    std::lock_guard g(mu_);
    return std::erase_if(series_, [&](const auto& entry) { return pred(entry.first); });
  }
  std::size_t seriesCount() const {
    std::lock_guard g(mu_);
    return series_.size();
  }
  const std::shared_ptr<const std::vector<double>>& bounds() const { return bounds_; }

  std::string_view type() const override { return M::kType; }
  void render(std::string& out) const override {
    renderHeader(out, M::kType);
    std::lock_guard g(mu_);
    for (const auto& [values, metric] : series_)
      metric->render(out, name_, labelString(values));
  }

 private:
  std::unique_ptr<M> make() const {
    if constexpr (std::is_same_v<M, Histogram>) {
      return std::make_unique<M>(bounds_);
    } else {
      return std::make_unique<M>();
    }
  }

  std::shared_ptr<const std::vector<double>> bounds_;
  mutable std::mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<M>> series_;  // sorted: stable output
  std::unique_ptr<M> overflow_;
  std::size_t dropped_ = 0;
};

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

class MetricsRegistry {
 public:
  static constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";
  static constexpr std::size_t kDefaultMaxSeries = 512;

  // Registers (or returns the already registered) family. Names start with "leakguard_", or
  // "process_" for the standard process series (process_metrics.h).
  CounterFamily& counter(const std::string& name, const std::string& help,
                         const std::vector<std::string>& labelNames = {},
                         std::size_t maxSeries = kDefaultMaxSeries);
  GaugeFamily& gauge(const std::string& name, const std::string& help,
                     const std::vector<std::string>& labelNames = {},
                     std::size_t maxSeries = kDefaultMaxSeries);
  HistogramFamily& histogram(const std::string& name, const std::string& help,
                             const std::vector<std::string>& labelNames = {},
                             const std::vector<double>& buckets = defaultDurationBuckets(),
                             std::size_t maxSeries = kDefaultMaxSeries);

  // Runs before every render(), e.g. to refresh gauges read from /proc. Thread-safe.
  void addCollector(std::function<void()> collect);

  // The text exposition of every family, sorted by name (after running the collectors). Once some
  // family has sent updates to its overflow series, leakguard_metric_series_overflow_total{metric}
  // counts them.
  std::string render() const;
  static constexpr std::string_view kOverflowMetric = "leakguard_metric_series_overflow_total";

 private:
  template <class F, class... Args>
  F& getOrAdd(const std::string& name, const std::vector<std::string>& labelNames, Args&&... args);

  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<MetricFamilyBase>> families_;
  std::vector<std::function<void()>> collectors_;
};

// Helpers shared with tests: Prometheus number formatting and label value escaping.
std::string formatMetricValue(double v);
std::string escapeLabelValue(std::string_view v);
bool isValidMetricName(std::string_view name);

}  // namespace lg::runtime
