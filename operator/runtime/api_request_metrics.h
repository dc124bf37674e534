#pragma once
// The API client's requests as metrics, what client-go's rest_client_* give Go operators:
//   leakguard_api_requests_total{verb,resource,code}   every attempt, retries included; code
//                                                      "none" when no response came
//   leakguard_api_request_duration_seconds{verb,resource}
// The client is made before the registry exists, so it observes through this object, which
// counts nothing until attach(). Thread-safe.

#include <atomic>

#include "operator/kube/http_api_client.h"
#include "operator/runtime/metrics_registry.h"

namespace lg::runtime {

class ApiRequestMetrics {
 public:
  void attach(MetricsRegistry& registry);
  void observe(const kube::ApiRequestRecord& r);
  // For HttpApiClientOptions::observe; `this` must outlive the client.
  std::function<void(const kube::ApiRequestRecord&)> observer() {
    return [this](const kube::ApiRequestRecord& r) { observe(r); };
  }

 private:
  std::atomic<CounterFamily*> requests_{nullptr};
  std::atomic<HistogramFamily*> latency_{nullptr};
};

}  // namespace lg::runtime
