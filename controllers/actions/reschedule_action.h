#pragma once
// reschedule: moves a leaking pod off a node under memory pressure, and keeps new pods off that
// node while the pressure lasts. The executor hands incidents over worst leaker first (soonest
// exhaustion), so the pods driving the pressure go first, one per budget.
//  prepare(): the node must report MemoryPressure=True; a dry-run eviction must be allowed.
//  run(): taints the node leakguard.io/memory-pressure:NoSchedule (once; the taint's timeAdded
//  says when) and evicts the pod through the Eviction API.
// releaseIfRelieved() takes the taint off again once the node no longer reports memory pressure;
// the reconciler calls it for nodes it tainted. The taint is written with the node's
// resourceVersion, so a concurrent change of the node's taints is not lost (409: next time).

#include "controllers/actions/action.h"

namespace lg::actions {

inline constexpr const char* kPressureTaintKey = "leakguard.io/memory-pressure";

class RescheduleAction final : public Action {
 public:
  policy::ActionKind kind() const override { return policy::ActionKind::kReschedule; }
  ActionPlan prepare(const ActionContext& ctx) const override;
  ActionResult run(const ActionContext& ctx, const ActionPlan& plan) const override;

  // True when the node object reports the MemoryPressure condition True.
  static bool underMemoryPressure(const nlohmann::json& node);
  static bool hasTaint(const nlohmann::json& node);
  // Removes LeakGuard's taint from `node` if it has it and the pressure is over. ok(true): it
  // was removed; ok(false): nothing to do (no taint, or still under pressure, or node gone).
  static Result<bool> releaseIfRelieved(kube::ApiClient& api, const std::string& node,
                                        std::chrono::milliseconds timeout);
};

}  // namespace lg::actions
