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
  static constexpr std::string_view kName = "restart";
  // params: strategy, evict (default) or rolloutRestart.
  struct Params {
    std::string strategy = "evict";
    static Params read(const policy::FieldReader& r);
  };
  std::string_view name() const override { return kName; }
  ActionTraits traits() const override { return {.escalation = true, .takesPodAway = true}; }
  // Evicts the pod (claiming the disruption on its workload first: an annotation), or patches
  // the workload's template annotation as `kubectl rollout restart` does.
  std::vector<kube::Permission> permissions() const override {
    return {{"", "pods", {"get"}, {}},
            {"", "pods/eviction", {"create"}, {}},
            {"apps", "deployments", {"get", "patch"}, {}},
            {"apps", "statefulsets", {"get", "patch"}, {}},
            {"apps", "daemonsets", {"get", "patch"}, {}}};
  }
  void checkParams(const policy::FieldReader& params) const override;
  bool evictsPod(const policy::PlaybookStep& step) const override;
  ActionPlan prepare(const ActionContext& ctx) const override;
  ActionResult run(const ActionContext& ctx, const ActionPlan& plan) const override;
  Result<Verification> verify(const ActionContext& ctx, double started) const override;
};

}  // namespace lg::actions
