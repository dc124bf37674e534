#include "controllers/reconcile/forecast_gauges.h"

namespace lg::reconcile {

ForecastGauges::ForecastGauges(runtime::MetricsRegistry& registry, double ttlSeconds)
    : family_(registry.gauge(std::string(kName),
                             "Forecast time until a leaking container exhausts its limit",
                             {"namespace", "pod", "container", "resource"})),
      ttl_(ttlSeconds) {}

void ForecastGauges::record(const std::string& ns, const std::string& pod,
                            const std::string& container, std::string_view resource,
                            double exhaustionSeconds, double now) {
  Labels labels{ns, pod, container, std::string(resource)};
  std::lock_guard lock(mu_);
  family_.labels(labels).set(exhaustionSeconds);
  lastSet_[std::move(labels)] = now;
}

std::size_t ForecastGauges::removeWhere(
    const std::function<bool(const Labels&, double lastSet)>& pred) {
  std::lock_guard lock(mu_);
  return std::erase_if(lastSet_, [&](const auto& entry) {
    if (!pred(entry.first, entry.second)) return false;
    family_.remove(entry.first);
    return true;
  });
}

void ForecastGauges::forgetPod(const std::string& ns, const std::string& pod) {
  removeWhere([&](const Labels& l, double) { return l[0] == ns && l[1] == pod; });
}

std::size_t ForecastGauges::sweep(double now) {
  return removeWhere([&](const Labels&, double lastSet) { return now - lastSet > ttl_; });
}

std::size_t ForecastGauges::size() const {
  std::lock_guard lock(mu_);
  return lastSet_.size();
}

}  // namespace lg::reconcile
