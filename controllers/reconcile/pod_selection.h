#pragma once
// Which pods a LeakPolicy covers, and which workload a pod belongs to. Pure functions of the
// cached objects; the caller passes only pods of the policy's own namespace (tenancy: a
// namespaced policy never reaches into another namespace).

#include <functional>
#include <optional>
#include <string>

#include "controllers/reconcile/cached_objects.h"
#include "operator/runtime/pod_projection.h"

namespace lg::reconcile {

struct Workload {
  std::string kind;  // Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, or "" (bare pod)
  std::string name;
  std::string revision;  // pod-template-hash / controller-revision-hash label of the pod
};

// Finds a ReplicaSet by namespace and name (the pod cache's owner reference gives the name).
using ReplicaSetLookup =
    std::function<std::optional<ReplicaSetObject>(const std::string& ns, const std::string& name)>;

// The workload that owns the pod, following ReplicaSet -> Deployment.
Workload workloadOf(const runtime::PodProjection& pod, const ReplicaSetLookup& rs);

// True when the policy covers the pod: same namespace, selector match or owned by the referenced
// workload, and not finished (Succeeded/Failed) or being deleted.
bool covers(const PolicyObject& policy, const runtime::PodProjection& pod,
            const ReplicaSetLookup& rs);

}  // namespace lg::reconcile
