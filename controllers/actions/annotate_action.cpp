#include "controllers/actions/annotate_action.h"

#include "controllers/actions/action_support.h"

namespace lg::actions {

nlohmann::json AnnotateAction::annotations(const ActionTarget& t) {
  std::string leak = t.container + " " + t.resource;
  if (!t.summary.empty()) leak = t.container + ": " + t.summary;
  return {{"leakguard.io/incident", t.incidentName}, {"leakguard.io/leak", leak}};
}

ActionPlan AnnotateAction::prepare(const ActionContext& ctx) const {
  std::string list;
  const nlohmann::json a = annotations(*ctx.target);
  for (const auto& [k, v] : a.items())
    list += (list.empty() ? "" : ", ") + k + "=" + v.get<std::string>();
  return ActionPlan::go("annotate pod " + ctx.target->podName + " " + list);
}

ActionResult AnnotateAction::run(const ActionContext& ctx, const ActionPlan&) const {
  const auto& t = *ctx.target;
  auto r = ctx.api->patch(podRef(t.ns, t.podName), kube::PatchType::kMerge,
                          {{"metadata", {{"annotations", annotations(t)}}}}, writeOptions(ctx));
  if (r)
    return ActionResult::succeeded(
        "", "pod " + t.podName + " annotated leakguard.io/incident=" + t.incidentName);
  if (r.error().code == 404) return ActionResult::notPossible("pod " + t.podName + " is gone");
  return ActionResult::failed("annotating pod " + t.podName + ": " + r.error().message);
}

}  // namespace lg::actions
