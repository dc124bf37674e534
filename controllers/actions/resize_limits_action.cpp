#include "controllers/actions/resize_limits_action.h"

#include <cmath>

#include "controllers/actions/action_support.h"
#include "controllers/policy/policy_schema.h"
#include "operator/kube/quantity.h"

namespace lg::actions {
namespace {

// "300Mi" when it is whole MiB (as people write limits), else bytes.
std::string quantityText(int64_t bytes) {
  constexpr int64_t kMi = 1 << 20;
  return bytes % kMi == 0 ? std::to_string(bytes / kMi) + "Mi" : std::to_string(bytes);
}

}  // namespace

int64_t ResizeLimitsAction::newLimit(int64_t current, double factor,
                                     std::optional<double> maxLimit) {
  constexpr double kMi = 1024.0 * 1024.0;
  // Less a hair before rounding up: 400Mi * 1.1 is 440.00000000000006Mi in doubles, and must
  // come out 440Mi, not 441Mi.
  double want = std::ceil(static_cast<double>(current) * factor / kMi - 1e-9) * kMi;
  if (maxLimit) want = std::min(want, std::floor(*maxLimit));
  return std::max(current, static_cast<int64_t>(want));
}

ActionPlan ResizeLimitsAction::prepare(const ActionContext& ctx) const {
  const auto& t = *ctx.target;
  auto pod = ctx.api->get(podRef(t.ns, t.podName));
  if (!pod) {
    if (pod.error().code == 404) return ActionPlan::skip("pod " + t.podName + " is gone");
    return ActionPlan::fail("reading pod " + t.podName + ": " + pod.error().message);
  }
  const auto& containers = (*pod)["spec"].value("containers", nlohmann::json::array());
  std::string limitText;
  for (const auto& c : containers) {
    if (!c.is_object() || c.value("name", "") != t.container) continue;
    limitText = stringAt(c, "/resources/limits/memory");
  }
  if (limitText.empty())
    return ActionPlan::skip("container " + t.container + " has no memory limit to raise");
  auto q = kube::Quantity::parse(limitText);
  if (!q || q->negative())
    return ActionPlan::skip("container " + t.container + " memory limit \"" + limitText +
                            "\" is not a quantity LeakGuard can raise");
  const int64_t current = q->ceilInt64();
  const auto p = readParams<Params>(*ctx.step);
  const int64_t next = newLimit(current, p.factor, p.maxLimitBytes);
  if (next <= current)
    return ActionPlan::skip("container " + t.container + " memory limit " +
                            kube::formatBytes(static_cast<double>(current)) +
                            " is already at maxLimit");
  return ActionPlan::go("raise container " + t.container + " memory limit " +
                            kube::formatBytes(static_cast<double>(current)) + " -> " +
                            kube::formatBytes(static_cast<double>(next)) +
                            " in place (pods/resize)",
                        {{"from", current}, {"to", next}});
}

ActionResult ResizeLimitsAction::run(const ActionContext& ctx, const ActionPlan& plan) const {
  const auto& t = *ctx.target;
  const int64_t from = plan.data.value("from", int64_t{0});
  const int64_t to = plan.data.value("to", int64_t{0});
  const nlohmann::json patch = {
      {"spec",
       {{"containers",
         nlohmann::json::array({{{"name", t.container},
                                 {"resources", {{"limits", {{"memory", quantityText(to)}}}}}}})}}}};
  auto r = ctx.api->patch(podRef(t.ns, t.podName, "resize"), kube::PatchType::kStrategicMerge,
                          patch, writeOptions(ctx));
  const std::string change = kube::formatBytes(static_cast<double>(from)) + " -> " +
                             kube::formatBytes(static_cast<double>(to));
  if (r)
    return ActionResult::succeeded(
        "LimitsResized", "memory limit of container " + t.container + " raised in place " + change);
  const auto& e = r.error();
  // No subresource (before 1.33 without the feature gate: 404/405/415), or a resize the pod
  // cannot take (422, 400): trying again will not help.
  if (e.code == 404 || e.code == 405 || e.code == 415 || e.code == 422 || e.code == 400)
    return ActionResult::notPossible("not possible: in-place resize " + change + " refused (" +
                                     std::to_string(e.code) + ": " + e.message + ")");
  return ActionResult::failed("in-place resize " + change + ": " + e.message);
}

ResizeLimitsAction::Params ResizeLimitsAction::Params::read(const policy::FieldReader& r) {
  Params p;
  if (auto f = r.number("factor", 1.0, policy::schema::kPlaybookParamsFactorMaximum)) {
    if (*f <= 1.0) {
      r.issue(r.at("factor"), "must be above 1");
    } else {
      p.factor = *f;
    }
  }
  p.maxLimitBytes = r.quantity("maxLimit");
  return p;
}

void ResizeLimitsAction::checkParams(const policy::FieldReader& params) const {
  Params::read(params);
}

}  // namespace lg::actions
