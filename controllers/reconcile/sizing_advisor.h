#pragma once
// Memory sizing for the workloads a LeakPolicy covers, per (workload, container): from the
// usage each pod's series holds in the UsageHub (detect::recommendMemory: a quantile and the
// peak of the settled usage, plus headroom; nothing while usage still rises), or, for a
// container with a current memory finding, no size at all but what a bigger limit would buy
// ("+128Mi delays the OOM by 16m"). Written to the policy's status.recommendations and exported
// as leakguard_recommended_memory_bytes; `kubectl leakguard recommend` reads the status.
// Pure apart from reading the hub (thread-safe).

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "controllers/detect/finding.h"
#include "controllers/detect/memory_sizing.h"
#include "controllers/policy/leak_policy.h"
#include "controllers/reconcile/pod_selection.h"
#include "controllers/reconcile/usage_hub.h"
#include "operator/runtime/pod_projection.h"

namespace lg::reconcile {

struct WorkloadSizing {
  std::string workload;  // "Deployment/catalog", "Pod/<name>" for a bare pod
  std::string container;
  int pods = 0;
  double currentRequestBytes = 0;  // of the newest pod; 0: none
  double currentLimitBytes = 0;
  detect::MemoryRecommendation recommendation;
  // A leak: the fastest current memory finding among its pods, or an open incident's rate.
  bool leaking = false;
  double leakBytesPerSecond = 0;
  detect::RaiseEffect raise;  // with a leak: what a bigger limit buys
};

// The options the policy's spec.recommendations sets.
detect::SizingOptions sizingOptions(const policy::Recommendations& r);

// A leak the policy's open incidents know of, by (workload, container): after an OOM kill the
// restarted container has no finding yet, and must not be sized from the peak the leak reached.
using KnownLeaks = std::map<std::pair<std::string, std::string>, double /*bytes per second*/>;

// One entry per (workload, container) of the covered pods whose container the policy watches
// (spec.containers; all when empty), sorted by workload then container. Each pod is judged on
// the usage of its current container only (since its last restart).
std::vector<WorkloadSizing> adviseSizing(const std::vector<const runtime::PodProjection*>& pods,
                                         const ReplicaSetLookup& rs, const UsageReader& hub,
                                         const KnownLeaks& leaks, const detect::SizingOptions& opts,
                                         double now, const policy::LeakPolicySpec& spec = {});

// status.recommendations: at most `maxItems` entries (leaks first, then by workload), each with
// the sizes as quantities and, in `basis`, how they were reached, in words.
nlohmann::json sizingStatus(const std::vector<WorkloadSizing>& sizing,
                            const detect::SizingOptions& opts, std::size_t maxItems);

}  // namespace lg::reconcile
