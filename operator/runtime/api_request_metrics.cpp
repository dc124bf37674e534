#include "operator/runtime/api_request_metrics.h"

#include <string>

namespace lg::runtime {

void ApiRequestMetrics::attach(MetricsRegistry& registry) {
  latency_ = &registry.histogram(
      "leakguard_api_request_duration_seconds",
      "Kubernetes API requests by verb and resource: time to the response (each attempt)",
      {"verb", "resource"});
  requests_ = &registry.counter(
      "leakguard_api_requests_total",
      "Kubernetes API request attempts by verb, resource and HTTP status (none: no response)",
      {"verb", "resource", "code"});
}

void ApiRequestMetrics::observe(const kube::ApiRequestRecord& r) {
  CounterFamily* requests = requests_.load();
  HistogramFamily* latency = latency_.load();
  if (!requests || !latency) return;
  const std::string resource = r.resource.empty() ? "-" : std::string(r.resource);
  requests->labels({r.verb, resource, r.code ? std::to_string(r.code) : "none"}).inc();
  latency->labels({r.verb, resource}).observe(r.seconds);
}

}  // namespace lg::runtime
