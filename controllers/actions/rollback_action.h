#pragma once
// rollback: when the leak came with the workload's current revision and an earlier revision was
// healthy, puts the workload's pod template back to that revision's, as `kubectl rollout undo`
// does.
//  Deployment: its ReplicaSets (found through their controller ownerReference to the
//    Deployment's uid) carry deployment.kubernetes.io/revision. The leaking pod must run the
//    current revision (its pod-template-hash is the newest ReplicaSet's); the target is the
//    newest earlier revision the leak was never seen in (ctx.leakingRevisions). The Deployment's
//    spec.template becomes that ReplicaSet's template minus the pod-template-hash label, in a
//    JSON patch that first tests the Deployment's resourceVersion (a concurrent change wins, and
//    the step fails and is retried after the cooldown). The Deployment controller then adopts
//    the old ReplicaSet and gives it the next revision number.
//  StatefulSet: the same through its ControllerRevisions (.revision; the pod's
//    controller-revision-hash label names the ControllerRevision); the revision's data, a
//    strategic merge patch of spec.template, is applied to the StatefulSet.
// Skipped, with the reason, when the workload is of another kind, when the pod does not run the
// current revision, or when no earlier revision is known to be healthy.

#include "controllers/actions/action.h"

namespace lg::actions {

class RollbackAction final : public Action {
 public:
  static constexpr std::string_view kName = "rollback";
  std::string_view name() const override { return kName; }
  ActionTraits traits() const override { return {.escalation = true}; }
  // Reads the Deployment or StatefulSet and its revision history (ReplicaSets,
  // ControllerRevisions), patches its template back (JSON patch with a test of the old one).
  std::vector<kube::Permission> permissions() const override {
    return {{"apps", "deployments", {"get", "patch"}, {}},
            {"apps", "statefulsets", {"get", "patch"}, {}},
            {"apps", "replicasets", {"list"}, {}},
            {"apps", "controllerrevisions", {"list"}, {}}};
  }
  ActionPlan prepare(const ActionContext& ctx) const override;
  ActionResult run(const ActionContext& ctx, const ActionPlan& plan) const override;

 private:
  ActionPlan prepareDeployment(const ActionContext& ctx) const;
  ActionPlan prepareStatefulSet(const ActionContext& ctx) const;
};

}  // namespace lg::actions
