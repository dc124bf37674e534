#include "controllers/actions/restart_action.h"

#include "controllers/actions/action_support.h"

namespace lg::actions {
namespace {

std::string lower(std::string s) {
  for (char& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool rolloutRestart(const policy::PlaybookStep& step) {
  return readParams<RestartAction::Params>(step).strategy == "rolloutRestart";
}

}  // namespace

ActionPlan RestartAction::prepare(const ActionContext& ctx) const {
  const auto& t = *ctx.target;
  if (rolloutRestart(*ctx.step)) {
    if (patchableOwnerResource(t.workloadKind).empty())
      return ActionPlan::skip(
          "rolloutRestart needs a Deployment, StatefulSet or DaemonSet owner; pod " + t.podName +
          " has " + (t.workloadKind.empty() ? "none" : t.workloadKind));
    return ActionPlan::go("rollout restart " + lower(t.workloadKind) + "/" + t.workloadName +
                          " (template annotation kubectl.kubernetes.io/restartedAt)");
  }
  if (const auto why = whyNotEvictable(t); !why.empty()) return ActionPlan::skip(why);
  const auto check = evictionCheck(ctx);
  if (check.failed) return ActionPlan::fail(check.why);
  if (!check.allowed) return ActionPlan::skip(check.why);
  return ActionPlan::go("evict pod " + t.podName +
                        " through the Eviction API (PodDisruptionBudgets honoured)");
}

ActionResult RestartAction::run(const ActionContext& ctx, const ActionPlan&) const {
  const auto& t = *ctx.target;
  if (rolloutRestart(*ctx.step)) {
    const nlohmann::json patch = {
        {"spec",
         {{"template",
           {{"metadata",
             {{"annotations", {{"kubectl.kubernetes.io/restartedAt", isoTime(ctx.now)}}}}}}}}}};
    auto r = ctx.api->patch(appsRef(patchableOwnerResource(t.workloadKind), t.ns, t.workloadName),
                            kube::PatchType::kMerge, patch, writeOptions(ctx));
    if (r)
      return ActionResult::succeeded("PodRestarted", "rollout restart of " + lower(t.workloadKind) +
                                                         "/" + t.workloadName + " started");
    if (r.error().code == 404)
      return ActionResult::notPossible(lower(t.workloadKind) + "/" + t.workloadName + " is gone");
    return ActionResult::failed("rollout restart of " + lower(t.workloadKind) + "/" +
                                t.workloadName + ": " + r.error().message);
  }
  return evict(ctx, "PodRestarted",
               "pod " + t.podName + " evicted gracefully (PodDisruptionBudgets honoured)");
}

Result<Verification> RestartAction::verify(const ActionContext& ctx, double started) const {
  const auto& t = *ctx.target;
  if (!rolloutRestart(*ctx.step)) return verifyPodGone(ctx, "eviction");
  const std::string what = lower(t.workloadKind) + "/" + t.workloadName;
  auto w = ctx.api->get(appsRef(patchableOwnerResource(t.workloadKind), t.ns, t.workloadName));
  if (!w) {
    if (w.error().code == 404) return Verification::done(what + " is gone");
    return w.error();
  }
  // RFC 3339 times of one format compare as strings.
  const std::string at =
      stringAt(*w, "/spec/template/metadata/annotations/kubectl.kubernetes.io~1restartedAt");
  if (!at.empty() && at >= isoTime(started))
    return Verification::done("the rollout restart of " + what + " happened (restartedAt " + at +
                              ")");
  return Verification::notDone("the rollout restart of " + what + " did not happen");
}

RestartAction::Params RestartAction::Params::read(const policy::FieldReader& r) {
  Params p;
  if (auto s = r.string("strategy")) {
    if (*s == "evict" || *s == "rolloutRestart") {
      p.strategy = *s;
    } else {
      r.issue(r.at("strategy"), "must be evict or rolloutRestart, got \"" + *s + "\"");
    }
  }
  return p;
}

void RestartAction::checkParams(const policy::FieldReader& params) const {
  Params::read(params);
}

bool RestartAction::evictsPod(const policy::PlaybookStep& step) const {
  return !rolloutRestart(step);
}

}  // namespace lg::actions
