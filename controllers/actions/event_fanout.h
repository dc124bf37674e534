#pragma once
// What LeakGuard says about a pod it judged or acted on goes to three places: the pod, its
// owner (when known) and the LeakPolicy, one Event on each, so that `kubectl describe` of any
// of them tells it. The owner's and the policy's Events name the pod ("pod checkout-1: ...").
// Both the leak confirmed (the reconciler) and every playbook step (the executor) are said this
// way. Events are best effort: a failure is logged, never returned.

#include <string>

#include "operator/kube/events.h"

namespace lg::actions {

struct EventSubject {
  std::string ns;
  std::string podName, podUid;
  std::string workloadKind, workloadName;  // "" when the pod has no known owner
  std::string policyName, policyUid;
};

// "apps/v1" for Deployment, StatefulSet, DaemonSet and ReplicaSet, "batch/v1" for Job and
// CronJob, "v1" otherwise.
std::string ownerApiVersion(const std::string& kind);

void recordOnPodOwnerAndPolicy(kube::EventRecorder& events, const EventSubject& subject,
                               kube::EventType type, const std::string& reason,
                               const std::string& action, const std::string& note);

}  // namespace lg::actions
