// Pods as the API server sends them, into the controller's projection and the agent's, and
// PodMetrics from metrics-server: mistyped and missing fields must be tolerated, never thrown.
#include "controllers/agent/agent_pod.h"
#include "controllers/sources/pod_metrics.h"
#include "fuzz/fuzz_input.h"
#include "operator/runtime/pod_projection.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto j = lg::fuzz::asJson(data, size);
  if (!j) return 0;
  lg::runtime::StringInterner interner;
  if (auto pod = lg::runtime::projectPod(*j, interner)) {
    (void)pod->key();
    (void)pod->controllerRef();
    (void)pod->memoryBytes();
    (void)lg::runtime::podNodeIndex(*pod);
  }
  (void)lg::agent::projectAgentPod(*j);
  (void)lg::sources::parsePodMetrics(*j);
  return 0;
}
