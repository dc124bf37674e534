#include "operator/runtime/metrics_registry.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>

namespace lg::runtime {

std::string formatMetricValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  if (ec != std::errc()) return "NaN";
  return std::string(buf, end);
}

std::string escapeLabelValue(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

namespace {

std::string escapeHelp(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

bool isValidLabelName(std::string_view name) {
  if (name.empty() || name.starts_with("__")) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

void sample(std::string& out, std::string_view name, std::string_view suffix,
            std::string_view labels, double v) {
  out.append(name).append(suffix).append(labels).append(" ").append(formatMetricValue(v));
  out += '\n';
}

}  // namespace

bool isValidMetricName(std::string_view name) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

void Counter::inc(double v) {
  if (v > 0) v_.fetch_add(v, std::memory_order_relaxed);
}

void Counter::render(std::string& out, std::string_view name, std::string_view labels) const {
  sample(out, name, "", labels, value());
}

void Gauge::render(std::string& out, std::string_view name, std::string_view labels) const {
  sample(out, name, "", labels, value());
}

Histogram::Histogram(std::shared_ptr<const std::vector<double>> bounds)
    : bounds_(std::move(bounds)),
      buckets_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds_->size() + 1)) {}

void Histogram::observe(double v) {
  // First bucket whose upper bound is >= v ("le" semantics); NaN lands in +Inf.
  const std::size_t i =
      std::isnan(v) ? bounds_->size()
                    : static_cast<std::size_t>(
                          std::lower_bound(bounds_->begin(), bounds_->end(), v) - bounds_->begin());
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

std::uint64_t Histogram::cumulativeCount(std::size_t i) const {
  std::uint64_t n = 0;
  for (std::size_t b = 0; b <= i && b <= bounds_->size(); ++b)
    n += buckets_[b].load(std::memory_order_relaxed);
  return n;
}

void Histogram::render(std::string& out, std::string_view name, std::string_view labels) const {
  // `labels` is "" or `{a="x"}`; the le label joins the others inside the braces.
  const std::string prefix =
      labels.empty() ? std::string("{") : std::string(labels.substr(0, labels.size() - 1)) + ",";
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i <= bounds_->size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    const std::string le = i < bounds_->size() ? formatMetricValue((*bounds_)[i]) : "+Inf";
    sample(out, name, "_bucket", prefix + "le=\"" + le + "\"}", static_cast<double>(cumulative));
  }
  sample(out, name, "_sum", labels, sum());
  // The count equals the +Inf bucket by definition; use it so a scrape is self-consistent.
  sample(out, name, "_count", labels, static_cast<double>(cumulative));
}

const std::vector<double>& defaultDurationBuckets() {
  static const std::vector<double> buckets{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
                                           1,     2.5,  5,     10,   30,  60};
  return buckets;
}

MetricFamilyBase::MetricFamilyBase(std::string name, std::string help,
                                   std::vector<std::string> labelNames, std::size_t maxSeries)
    : name_(std::move(name)),
      help_(std::move(help)),
      labelNames_(std::move(labelNames)),
      maxSeries_(std::max<std::size_t>(maxSeries, 1)) {}

void MetricFamilyBase::renderHeader(std::string& out, std::string_view type) const {
  out.append("# HELP ").append(name_).append(" ").append(escapeHelp(help_)).append("\n");
  out.append("# TYPE ").append(name_).append(" ").append(type).append("\n");
}

std::string MetricFamilyBase::labelString(const std::vector<std::string>& values) const {
  if (values.empty()) return {};
  std::string s = "{";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i) s += ',';
    s.append(labelNames_[i]).append("=\"").append(escapeLabelValue(values[i])).append("\"");
  }
  s += '}';
  return s;
}

void MetricFamilyBase::checkArity(std::size_t n) const {
  if (n != labelNames_.size())
    throw std::invalid_argument("metric " + name_ + ": expected " +
                                std::to_string(labelNames_.size()) + " label values, got " +
                                std::to_string(n));
}

template <class F, class... Args>
F& MetricsRegistry::getOrAdd(const std::string& name, const std::vector<std::string>& labelNames,
                             Args&&... args) {
  if (!isValidMetricName(name) || !(name.starts_with("leakguard_") || name.starts_with("process_")))
    throw std::invalid_argument("invalid metric name (want leakguard_[a-z0-9_]+): " + name);
  if (name == kOverflowMetric)
    throw std::invalid_argument("metric " + name + " is the registry's own");
  for (const auto& l : labelNames) {
    if (!isValidLabelName(l) || l == "le")
      throw std::invalid_argument("metric " + name + ": invalid label name " + l);
  }
  std::lock_guard g(mu_);
  auto it = families_.find(name);
  if (it != families_.end()) {
    auto* f = dynamic_cast<F*>(it->second.get());
    if (!f || f->labelNames() != labelNames)
      throw std::invalid_argument("metric " + name + " re-registered with another type or labels");
    return *f;
  }
  auto family = std::make_unique<F>(name, std::forward<Args>(args)...);
  F& ref = *family;
  families_.emplace(name, std::move(family));
  return ref;
}

CounterFamily& MetricsRegistry::counter(const std::string& name, const std::string& help,
                                        const std::vector<std::string>& labelNames,
                                        std::size_t maxSeries) {
  return getOrAdd<CounterFamily>(name, labelNames, help, labelNames, maxSeries);
}

GaugeFamily& MetricsRegistry::gauge(const std::string& name, const std::string& help,
                                    const std::vector<std::string>& labelNames,
                                    std::size_t maxSeries) {
  return getOrAdd<GaugeFamily>(name, labelNames, help, labelNames, maxSeries);
}

HistogramFamily& MetricsRegistry::histogram(const std::string& name, const std::string& help,
                                            const std::vector<std::string>& labelNames,
                                            const std::vector<double>& buckets,
                                            std::size_t maxSeries) {
  std::vector<double> sorted;
  for (double b : buckets)
    if (std::isfinite(b)) sorted.push_back(b);
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  return getOrAdd<HistogramFamily>(name, labelNames, help, labelNames, maxSeries,
                                   std::make_shared<const std::vector<double>>(std::move(sorted)));
}

void MetricsRegistry::addCollector(std::function<void()> collect) {
  std::lock_guard g(mu_);
  collectors_.push_back(std::move(collect));
}

std::string MetricsRegistry::render() const {
  std::vector<std::function<void()>> collectors;
  {
    std::lock_guard g(mu_);
    collectors = collectors_;
  }
  for (const auto& c : collectors)
    c();
  std::string out;
  std::lock_guard g(mu_);
  // The overflow counts, in the family of their own that sorts among the others.
  CounterFamily overflow(std::string(kOverflowMetric),
                         "Updates of a metric that went to its hidden overflow series because it "
                         "had reached its bound of label sets",
                         {"metric"}, families_.size());
  bool overflowed = false;
  for (const auto& [name, family] : families_) {
    if (const std::size_t n = family->dropped(); n > 0) {
      overflow.labels({name}).inc(static_cast<double>(n));
      overflowed = true;
    }
  }
  bool overflowRendered = !overflowed;
  for (const auto& [name, family] : families_) {
    if (!overflowRendered && name > kOverflowMetric) {
      overflow.render(out);
      overflowRendered = true;
    }
    family->render(out);
  }
  if (!overflowRendered) overflow.render(out);
  return out;
}

}  // namespace lg::runtime
