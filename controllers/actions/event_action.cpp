#include "controllers/actions/event_action.h"

namespace lg::actions {
namespace {

std::string reasonOf(const ActionContext& ctx) {
  return ctx.step->params.reason.empty() ? "LeakConfirmed" : ctx.step->params.reason;
}

}  // namespace

ActionPlan EventAction::prepare(const ActionContext& ctx) const {
  return ActionPlan::go("record Event " + reasonOf(ctx) + " on pod " + ctx.target->podName +
                        ", its owner and the policy");
}

ActionResult EventAction::run(const ActionContext& ctx, const ActionPlan&) const {
  const auto& t = *ctx.target;
  return ActionResult::succeeded(reasonOf(ctx), t.summary.empty()
                                                    ? "leak in pod " + t.podName
                                                    : t.summary + "; incident " + t.incidentName);
}

}  // namespace lg::actions
