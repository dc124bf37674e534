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
  std::vector<std::string> labels{ns, pod, container, std::string(resource)};
  std::lock_guard lock(mu_);
  family_.labels(labels).set(exhaustionSeconds);
  lastSet_[std::move(labels)] = now;
}

void ForecastGauges::forgetPod(const std::string& ns, const std::string& pod) {
  std::lock_guard lock(mu_);
  for (auto it = lastSet_.begin(); it != lastSet_.end();) {
    if (it->first[0] == ns && it->first[1] == pod) {
      family_.remove(it->first);
      it = lastSet_.erase(it);
    } else {
      ++it;
    }
  }
}

std::size_t ForecastGauges::sweep(
    double now,
    const std::function<bool(const std::string& ns, const std::string& pod)>& podExists) {
  std::lock_guard lock(mu_);
  std::size_t n = 0;
  for (auto it = lastSet_.begin(); it != lastSet_.end();) {
    if (now - it->second > ttl_ || !podExists(it->first[0], it->first[1])) {
      family_.remove(it->first);
      it = lastSet_.erase(it);
      ++n;
    } else {
      ++it;
    }
  }
  return n;
}

std::size_t ForecastGauges::size() const {
  std::lock_guard lock(mu_);
  return lastSet_.size();
}

}  // namespace lg::reconcile
