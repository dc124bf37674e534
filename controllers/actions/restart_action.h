#pragma once
// restart: gets a fresh container, gracefully.
//  - strategy evict (default): evicts the pod through the Eviction API, so its
//    PodDisruptionBudgets hold. prepare() asks the API first with a dry-run eviction: while a
//    budget forbids it the step is skipped ("waiting", tried again at the next reconcile) and
//    nothing is journalled as started. A 429 on the real eviction (the budget changed in
//    between) is a failure, retried after the cooldown.
//  - strategy rolloutRestart: what `kubectl rollout restart` does: sets the owner Deployment's,
//    StatefulSet's or DaemonSet's template annotation kubectl.kubernetes.io/restartedAt, and
//    the owner's controller replaces the pods at its own pace (maxUnavailable/maxSurge).
//    Skipped for pods without such an owner.

#include "controllers/actions/action.h"

namespace lg::actions {

class RestartAction final : public Action {
 public:
  policy::ActionKind kind() const override { return policy::ActionKind::kRestart; }
  ActionPlan prepare(const ActionContext& ctx) const override;
  ActionResult run(const ActionContext& ctx, const ActionPlan& plan) const override;
  Result<Verification> verify(const ActionContext& ctx, double started) const override;
};

}  // namespace lg::actions
