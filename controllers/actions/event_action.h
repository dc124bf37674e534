#pragma once
// event: records only. The executor emits the Event (reason params.reason, default
// LeakConfirmed) on the pod, its owner and the policy; the action itself changes nothing.

#include "controllers/actions/action.h"

namespace lg::actions {

class EventAction final : public Action {
 public:
  static constexpr std::string_view kName = "event";
  // params: reason (the Event's reason; default LeakConfirmed).
  struct Params {
    std::string reason = "LeakConfirmed";
    static Params read(const policy::FieldReader& r);
  };
  std::string_view name() const override { return kName; }
  ActionTraits traits() const override { return {.shownAsLastAction = false}; }
  // Its Event goes through the controller's event recorder (the controller's own rules).
  std::vector<kube::Permission> permissions() const override { return {}; }
  void checkParams(const policy::FieldReader& params) const override;
  ActionPlan prepare(const ActionContext& ctx) const override;
  ActionResult run(const ActionContext& ctx, const ActionPlan& plan) const override;
};

}  // namespace lg::actions
