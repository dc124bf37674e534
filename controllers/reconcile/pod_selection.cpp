#include "controllers/reconcile/pod_selection.h"

#include <map>

namespace lg::reconcile {

Workload workloadOf(const runtime::PodProjection& pod, const ReplicaSetLookup& rs) {
  Workload w;
  const runtime::OwnerRef* owner = pod.controllerRef();
  if (auto h = pod.label("pod-template-hash")) w.revision = std::string(*h);
  if (auto h = pod.label("controller-revision-hash")) w.revision = std::string(*h);
  if (!owner) return w;
  w.kind = owner->kind.str();
  w.name = owner->name.str();
  if (w.kind == "ReplicaSet" && rs) {
    if (auto r = rs(pod.ns.str(), w.name); r && r->ownerKind == "Deployment") {
      w.kind = "Deployment";
      w.name = r->ownerName;
    }
  }
  return w;
}

bool covers(const PolicyObject& policy, const runtime::PodProjection& pod,
            const ReplicaSetLookup& rs) {
  if (pod.ns != std::string_view(policy.ns)) return false;
  if (pod.terminating || pod.phase == runtime::PodPhase::kSucceeded ||
      pod.phase == runtime::PodPhase::kFailed)
    return false;
  const auto& spec = policy.parsed.spec;
  if (spec.selector) {
    std::map<std::string, std::string> labels;
    for (const auto& [k, v] : pod.labels)
      labels.emplace(k.str(), v.str());
    return spec.selector->matches(labels);
  }
  if (spec.workloadRef) {
    const Workload w = workloadOf(pod, rs);
    return w.kind == spec.workloadRef->kind && w.name == spec.workloadRef->name;
  }
  return false;
}

}  // namespace lg::reconcile
