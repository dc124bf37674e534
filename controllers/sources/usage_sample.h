#pragma once
// UsageSample: one measurement of one container's resource, the one shape every usage source
// (metrics-server, the node agents, a third one) hands to the controller's UsageHub.

#include <functional>
#include <memory>
#include <string>

#include "controllers/detect/resource.h"
#include "operator/runtime/pod_projection.h"

namespace lg::sources {

enum class Source { kMetricsServer, kAgent };

struct UsageSample {
  std::string podUid;
  std::string ns;
  std::string pod;
  std::string container;
  std::string containerId;  // "" when the source does not know it
  double time = 0;          // seconds since the epoch, when the usage was measured
  detect::Resource resource = detect::Resource::kMemory;
  double value = 0;
  double limit = 0;  // <= 0: unknown (no detection without a limit)
  Source source = Source::kMetricsServer;
  // Memory from a node agent only: the heap cap of the container's JVM or Node.js process
  // (agent/runtime_heap.h), 0 when none is known; which runtime, and what set the cap.
  double runtimeHeapMax = 0;
  std::string runtime;
  std::string runtimeHeapSetBy;
};

// Where a source's samples go; called from the source's threads, so it must be thread-safe.
using UsageSink = std::function<void(const UsageSample&)>;

// The pod of a namespace and name as the API server has it (the controller's pod cache), or
// nullptr. Sources use it to add what they do not measure (uid, container id, limit) and to
// check what they are told against where the API server places a pod.
using PodLookup = std::function<std::shared_ptr<const runtime::PodProjection>(
    const std::string& ns, const std::string& name)>;

}  // namespace lg::sources
