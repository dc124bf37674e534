#pragma once
// leakguard_forecast_exhaustion_seconds{namespace,pod,container,resource}: the forecast time
// until a leaking container exhausts its limit, one series per container while its forecast is
// current. A series goes when its pod goes (forgetPod on the delete event, which a re-list also
// emits for pods gone while disconnected) and when no finding has renewed it for the findings'
// time to live (the leak stopped, or the incident closed). So the gauge's series are the live
// leaks, never a history that grows until the family's bound and then silently stops taking new
// leaks. Thread-safe.

#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "operator/runtime/metrics_registry.h"

namespace lg::reconcile {

class ForecastGauges {
 public:
  static constexpr std::string_view kName = "leakguard_forecast_exhaustion_seconds";

  // `ttlSeconds`: how long a forecast stays current without a new finding (UsageHub's
  // findingTtlSeconds).
  ForecastGauges(runtime::MetricsRegistry& registry, double ttlSeconds);

  void record(const std::string& ns, const std::string& pod, const std::string& container,
              std::string_view resource, double exhaustionSeconds, double now);
  void forgetPod(const std::string& ns, const std::string& pod);
  // Removes the series not renewed since now - ttl; returns how many went.
  std::size_t sweep(double now);
  std::size_t size() const;

 private:
  using Labels = std::vector<std::string>;  // {namespace, pod, container, resource}
  // Removes the series whose labels and last-set time `pred` accepts; returns how many.
  std::size_t removeWhere(const std::function<bool(const Labels&, double lastSet)>& pred);

  runtime::GaugeFamily& family_;
  const double ttl_;
  mutable std::mutex mu_;
  std::map<Labels, double> lastSet_;  // when each series was last set
};

}  // namespace lg::reconcile
