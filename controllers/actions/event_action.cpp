#include "controllers/actions/event_action.h"

namespace lg::actions {
namespace {

std::string reasonOf(const ActionContext& ctx) {
  return readParams<EventAction::Params>(*ctx.step).reason;
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

EventAction::Params EventAction::Params::read(const policy::FieldReader& r) {
  Params p;
  if (auto reason = r.string("reason"); reason && !reason->empty()) p.reason = *reason;
  return p;
}

void EventAction::checkParams(const policy::FieldReader& params) const {
  Params::read(params);
}

}  // namespace lg::actions
