#pragma once
// MetricsServerSource: polls metrics.k8s.io/v1beta1 PodMetrics for the whole cluster (or, scoped
// to some namespaces, for each of them: namespaced RBAC suffices) every interval and feeds each
// container's working set to its UsageSink as a memory sample, with the pod uid, the container
// id and the memory limit of the pod cache (toUsageSample). A container the cache does not know
// gives nothing.
//
// When the metrics API is missing (404) or unavailable (503, no APIService, metrics-server
// down), it says so through status() and keeps polling: the operator keeps working with the
// node agents' samples, and the policies' conditions tell the user. The log says it when it
// starts or its reason changes, then at most every 10 minutes while it lasts (a cluster without
// metrics-server would otherwise log it at every poll), and says when it works again.
//
// Thread safety: start()/stop() from one thread; status() from any.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "controllers/sources/pod_metrics.h"
#include "controllers/sources/usage_source.h"
#include "operator/kube/api_client.h"
#include "operator/util/clock.h"

namespace lg::sources {

struct MetricsServerStatus {
  bool available = false;
  bool everPolled = false;
  std::string message;  // why not, e.g. "metrics.k8s.io answered 503: service unavailable"
  double lastSuccess = 0;
  std::size_t lastSamples = 0;
};

// The sample of one container's metrics, with what the pod cache adds; nullopt when `pod` has
// no such container.
std::optional<UsageSample> toUsageSample(const ContainerUsage& u,
                                         const runtime::PodProjection& pod);

class MetricsServerSource final : public UsageSource {
 public:
  // namespaces empty: one list of every pod's metrics; otherwise one list per namespace.
  MetricsServerSource(kube::ApiClient& api, Clock& clock, std::chrono::seconds interval,
                      PodLookup pods, UsageSink sink, std::vector<std::string> namespaces = {});
  ~MetricsServerSource() override;

  std::string name() const override { return "metrics-server source"; }
  Status start() override;
  void stop() override;
  // One poll, synchronously (tests and the first poll at start).
  void pollOnce() override;
  MetricsServerStatus status() const;

 private:
  void loop();

  kube::ApiClient& api_;
  Clock& clock_;
  std::chrono::seconds interval_;
  PodLookup pods_;
  UsageSink sink_;
  // Logs a failure when it is news, or at most every 10 minutes; a recovery once.
  void logChange(const MetricsServerStatus& before, const MetricsServerStatus& now);

  std::vector<std::string> namespaces_;
  // The failures' log, touched by the polling thread only: when it last said one, and how many
  // failed polls it has not logged since.
  std::optional<Clock::steady_time_point> lastWarned_;
  std::uint64_t unlogged_ = 0;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
  MetricsServerStatus status_;
};

}  // namespace lg::sources
