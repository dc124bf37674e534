#pragma once
// leakguard_forecast_exhaustion_seconds{namespace,pod,container,resource}: the forecast time
// until a leaking container exhausts its limit, one series per container while its forecast is
// current. A series goes when its pod goes (forgetPod on the delete event; a sweep for pods the
// cache no longer has) and when no finding has renewed it for the findings' time to live (the
// leak stopped, or the incident closed). So the gauge's series are the live leaks, never a
// history that grows until the family's bound and then silently stops taking new leaks.
// Thread-safe.

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
  // Removes the series not renewed since now - ttl and those of pods for which `podExists`
  // is false; returns how many went.
  std::size_t sweep(
      double now,
      const std::function<bool(const std::string& ns, const std::string& pod)>& podExists);
  std::size_t size() const;

 private:
  runtime::GaugeFamily& family_;
  const double ttl_;
  mutable std::mutex mu_;
  // Label values {namespace, pod, container, resource} -> when last set.
  std::map<std::vector<std::string>, double> lastSet_;
};

}  // namespace lg::reconcile
