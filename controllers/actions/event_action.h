#pragma once
// event: records only. The executor emits the Event (reason params.reason, default
// LeakConfirmed) on the pod, its owner and the policy; the action itself changes nothing.

#include "controllers/actions/action.h"

namespace lg::actions {

class EventAction final : public Action {
 public:
  policy::ActionKind kind() const override { return policy::ActionKind::kEvent; }
  ActionPlan prepare(const ActionContext& ctx) const override;
  ActionResult run(const ActionContext& ctx, const ActionPlan& plan) const override;
};

}  // namespace lg::actions
