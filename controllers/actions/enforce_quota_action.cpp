#include "controllers/actions/enforce_quota_action.h"

#include "controllers/actions/action_support.h"

namespace lg::actions {
namespace {

kube::ResourceRef coreRef(const std::string& resource, const std::string& ns,
                          const std::string& name = "") {
  return {.group = "",
          .version = "v1",
          .resource = resource,
          .ns = ns,
          .name = name,
          .subresource = ""};
}

nlohmann::json metadata(const std::string& ns, const std::string& policy) {
  return {
      {"name", kQuotaObjectName},
      {"namespace", ns},
      {"labels", {{"app.kubernetes.io/managed-by", "leakguard"}, {"leakguard.io/policy", policy}}}};
}

bool managedByUs(const nlohmann::json& obj) {
  return stringAt(obj, "/metadata/labels/app.kubernetes.io~1managed-by") == "leakguard";
}

// Creates `desired`, or replaces the existing object of that name (ours only).
Result<std::string> upsert(const ActionContext& ctx, const std::string& resource,
                           nlohmann::json desired) {
  const std::string ns = ctx.target->ns;
  auto existing = ctx.api->get(coreRef(resource, ns, kQuotaObjectName));
  if (!existing) {
    if (existing.error().code != 404) return existing.error();
    auto c = ctx.api->create(coreRef(resource, ns), desired, writeOptions(ctx));
    if (!c) return c.error();
    return std::string("created");
  }
  if (!managedByUs(*existing))
    return makeError(resource + " " + kQuotaObjectName + " exists and is not managed by leakguard",
                     409);
  desired["metadata"]["resourceVersion"] = stringAt(*existing, "/metadata/resourceVersion");
  auto r = ctx.api->replace(coreRef(resource, ns, kQuotaObjectName), desired, writeOptions(ctx));
  if (!r) return r.error();
  return std::string("updated");
}

}  // namespace

nlohmann::json EnforceQuotaAction::limitRange(const std::string& ns, const policy::StepParams& p) {
  if (!p.defaultMemoryLimit && !p.maxMemoryLimit) return nullptr;
  nlohmann::json limit = {{"type", "Container"}};
  if (p.defaultMemoryLimit) {
    limit["default"] = {{"memory", *p.defaultMemoryLimit}};
    limit["defaultRequest"] = {{"memory", *p.defaultMemoryLimit}};
  }
  if (p.maxMemoryLimit) limit["max"] = {{"memory", *p.maxMemoryLimit}};
  return {{"apiVersion", "v1"},
          {"kind", "LimitRange"},
          {"metadata", metadata(ns, "")},
          {"spec", {{"limits", nlohmann::json::array({limit})}}}};
}

nlohmann::json EnforceQuotaAction::resourceQuota(const std::string& ns,
                                                 const policy::StepParams& p) {
  if (!p.quotaMemoryLimits) return nullptr;
  return {{"apiVersion", "v1"},
          {"kind", "ResourceQuota"},
          {"metadata", metadata(ns, "")},
          {"spec", {{"hard", {{"limits.memory", *p.quotaMemoryLimits}}}}}};
}

ActionPlan EnforceQuotaAction::prepare(const ActionContext& ctx) const {
  const auto& t = *ctx.target;
  const auto& p = ctx.step->params;
  std::string what;
  for (const char* resource : {"limitranges", "resourcequotas"}) {
    const bool wanted = std::string(resource) == "limitranges"
                            ? (p.defaultMemoryLimit || p.maxMemoryLimit)
                            : p.quotaMemoryLimits.has_value();
    if (!wanted) continue;
    auto existing = ctx.api->get(coreRef(resource, t.ns, kQuotaObjectName));
    if (!existing && existing.error().code != 404)
      return ActionPlan::fail("reading " + std::string(resource) + ": " + existing.error().message);
    if (existing && !managedByUs(*existing))
      return ActionPlan::skip(
          std::string(resource == std::string("limitranges") ? "LimitRange " : "ResourceQuota ") +
          kQuotaObjectName + " in namespace " + t.ns + " exists and is not managed by leakguard");
  }
  if (p.defaultMemoryLimit || p.maxMemoryLimit) {
    what += std::string("LimitRange ") + kQuotaObjectName + " (container memory";
    if (p.defaultMemoryLimit) what += " default " + *p.defaultMemoryLimit;
    if (p.maxMemoryLimit)
      what += std::string(p.defaultMemoryLimit ? "," : "") + " max " + *p.maxMemoryLimit;
    what += ")";
  }
  if (p.quotaMemoryLimits) {
    what += std::string(what.empty() ? "" : " and ") + "ResourceQuota " + kQuotaObjectName +
            " (limits.memory " + *p.quotaMemoryLimits + ")";
  }
  if (what.empty()) return ActionPlan::fail("enforceQuota declares no limit");
  return ActionPlan::go("give namespace " + t.ns + " " + what, {{"what", what}});
}

ActionResult EnforceQuotaAction::run(const ActionContext& ctx, const ActionPlan& plan) const {
  const auto& t = *ctx.target;
  const auto& p = ctx.step->params;
  std::string done;
  auto lr = limitRange(t.ns, p);
  auto rq = resourceQuota(t.ns, p);
  for (auto* obj : {&lr, &rq}) {
    if (obj->is_null()) continue;
    (*obj)["metadata"]["labels"]["leakguard.io/policy"] = t.policyName;
    const std::string kind = (*obj)["kind"];
    const std::string resource = kind == "LimitRange" ? "limitranges" : "resourcequotas";
    auto r = upsert(ctx, resource, *obj);
    if (!r) {
      const std::string msg = kind + " " + kQuotaObjectName + ": " + r.error().message;
      if (r.error().code == 409 && r.error().message.find("not managed") != std::string::npos)
        return ActionResult::notPossible(msg);
      return ActionResult::failed((done.empty() ? "" : done + "; ") + msg);
    }
    done += (done.empty() ? "" : ", ") + kind + " " + kQuotaObjectName + " " + *r;
  }
  return ActionResult::succeeded("QuotaEnforced", "namespace " + t.ns + ": " + done + " (" +
                                                      plan.data.value("what", "") + ")");
}

}  // namespace lg::actions
