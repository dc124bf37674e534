#include "controllers/actions/enforce_quota_action.h"

#include "controllers/actions/action_support.h"
#include "controllers/policy/api_resources.h"

namespace lg::actions {
namespace {

nlohmann::json metadata(const std::string& ns) {
  return {{"name", kQuotaObjectName},
          {"namespace", ns},
          {"labels", {{"app.kubernetes.io/managed-by", "leakguard"}}}};
}

// Whether the step declares the object of that resource (limitranges, resourcequotas).
bool declares(const EnforceQuotaAction::Params& p, const std::string& resource) {
  return resource == "limitranges" ? (p.defaultMemoryLimit || p.maxMemoryLimit)
                                   : p.quotaMemoryLimits.has_value();
}

const char* kindOf(const std::string& resource) {
  return resource == "limitranges" ? "LimitRange" : "ResourceQuota";
}

// Why `existing` is not this policy's to change, or "" when it is. The policy-uid label names
// its writer; an object written before that label existed is told by the policy-name label. A
// writer that no longer exists (deleted, or deleted and re-created: another uid) leaves an
// orphan, which the next policy adopts. The API error (not 404) of looking the writer up is
// returned as an error.
Result<std::string> whyNotOurs(const ActionContext& ctx, const std::string& resource,
                               const nlohmann::json& existing) {
  const auto& t = *ctx.target;
  const std::string what =
      std::string(kindOf(resource)) + " " + kQuotaObjectName + " in namespace " + t.ns;
  if (stringAt(existing, "/metadata/labels/app.kubernetes.io~1managed-by") != "leakguard")
    return what + " exists and is not managed by leakguard";
  const std::string ownerName = stringAt(existing, "/metadata/labels/leakguard.io~1policy");
  const std::string ownerUid = stringAt(existing, "/metadata/labels/leakguard.io~1policy-uid");
  if (!ownerUid.empty() ? ownerUid == t.policyUid : ownerName == t.policyName) return std::string();
  if (ownerName.empty()) return std::string();  // no writer recorded: an orphan
  auto owner = ctx.api->get(policy::leakPoliciesRef(t.ns, ownerName));
  if (!owner) {
    if (owner.error().code == 404) return std::string();
    return owner.error();
  }
  if (!ownerUid.empty() && stringAt(*owner, "/metadata/uid") != ownerUid) return std::string();
  return what + " was written by LeakPolicy " + ownerName +
         "; only that policy changes it (or delete it, or that policy)";
}

// Creates `desired`, or replaces the existing object of that name (this policy's only; why
// not, in `foreign`, otherwise).
Result<std::string> upsert(const ActionContext& ctx, const std::string& resource,
                           nlohmann::json desired, std::string& foreign) {
  const std::string ns = ctx.target->ns;
  auto existing = ctx.api->get(coreRef(resource, ns, kQuotaObjectName));
  if (!existing) {
    if (existing.error().code != 404) return existing.error();
    auto c = ctx.api->create(coreRef(resource, ns), desired, writeOptions(ctx));
    if (!c) return c.error();
    return std::string("created");
  }
  auto why = whyNotOurs(ctx, resource, *existing);
  if (!why) return why.error();
  if (!why->empty()) {
    foreign = *why;
    return std::string("left alone");
  }
  desired["metadata"]["resourceVersion"] = stringAt(*existing, "/metadata/resourceVersion");
  auto r = ctx.api->replace(coreRef(resource, ns, kQuotaObjectName), desired, writeOptions(ctx));
  if (!r) return r.error();
  return std::string("updated");
}

}  // namespace

nlohmann::json EnforceQuotaAction::limitRange(const std::string& ns, const Params& p) {
  if (!p.defaultMemoryLimit && !p.maxMemoryLimit) return nullptr;
  nlohmann::json limit = {{"type", "Container"}};
  if (p.defaultMemoryLimit) {
    limit["default"] = {{"memory", *p.defaultMemoryLimit}};
    limit["defaultRequest"] = {{"memory", *p.defaultMemoryLimit}};
  }
  if (p.maxMemoryLimit) limit["max"] = {{"memory", *p.maxMemoryLimit}};
  return {{"apiVersion", "v1"},
          {"kind", "LimitRange"},
          {"metadata", metadata(ns)},
          {"spec", {{"limits", nlohmann::json::array({limit})}}}};
}

nlohmann::json EnforceQuotaAction::resourceQuota(const std::string& ns,
                                                 const EnforceQuotaAction::Params& p) {
  if (!p.quotaMemoryLimits) return nullptr;
  return {{"apiVersion", "v1"},
          {"kind", "ResourceQuota"},
          {"metadata", metadata(ns)},
          {"spec", {{"hard", {{"limits.memory", *p.quotaMemoryLimits}}}}}};
}

ActionPlan EnforceQuotaAction::prepare(const ActionContext& ctx) const {
  const auto& t = *ctx.target;
  const auto p = readParams<Params>(*ctx.step);
  std::string what;
  for (const char* resource : {"limitranges", "resourcequotas"}) {
    if (!declares(p, resource)) continue;
    auto existing = ctx.api->get(coreRef(resource, t.ns, kQuotaObjectName));
    if (!existing && existing.error().code != 404)
      return ActionPlan::fail("reading " + std::string(resource) + ": " + existing.error().message);
    if (!existing) continue;
    auto why = whyNotOurs(ctx, resource, *existing);
    if (!why) return ActionPlan::fail("reading leakpolicies: " + why.error().message);
    if (!why->empty()) return ActionPlan::skip(*why);
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
  const auto p = readParams<Params>(*ctx.step);
  std::string done;
  auto lr = limitRange(t.ns, p);
  auto rq = resourceQuota(t.ns, p);
  for (auto* obj : {&lr, &rq}) {
    if (obj->is_null()) continue;
    (*obj)["metadata"]["labels"]["leakguard.io/policy"] = t.policyName;
    (*obj)["metadata"]["labels"]["leakguard.io/policy-uid"] = t.policyUid;
    const std::string kind = (*obj)["kind"];
    const std::string resource = kind == "LimitRange" ? "limitranges" : "resourcequotas";
    std::string foreign;
    auto r = upsert(ctx, resource, *obj, foreign);
    if (!foreign.empty())
      return ActionResult::notPossible((done.empty() ? "" : done + "; ") + foreign);
    if (!r) {
      const std::string msg = kind + " " + kQuotaObjectName + ": " + r.error().message;
      return ActionResult::failed((done.empty() ? "" : done + "; ") + msg);
    }
    done += (done.empty() ? "" : ", ") + kind + " " + kQuotaObjectName + " " + *r;
  }
  return ActionResult::succeeded("QuotaEnforced", "namespace " + t.ns + ": " + done + " (" +
                                                      plan.data.value("what", "") + ")");
}

Result<Verification> EnforceQuotaAction::verify(const ActionContext& ctx, double) const {
  // Done when every object the step declares exists and is this policy's; otherwise it is
  // written again (idempotent).
  const auto& t = *ctx.target;
  const auto p = readParams<Params>(*ctx.step);
  for (const char* resource : {"limitranges", "resourcequotas"}) {
    if (!declares(p, resource)) continue;
    auto obj = ctx.api->get(coreRef(resource, t.ns, kQuotaObjectName));
    if (!obj) {
      if (obj.error().code == 404)
        return Verification::notDone(std::string(kindOf(resource)) + " " + kQuotaObjectName +
                                     " does not exist");
      return obj.error();
    }
    if (stringAt(*obj, "/metadata/labels/leakguard.io~1policy-uid") != t.policyUid)
      return Verification::notDone(std::string(kindOf(resource)) + " " + kQuotaObjectName +
                                   " is not this policy's");
  }
  return Verification::done("the quota objects are in place");
}

EnforceQuotaAction::Params EnforceQuotaAction::Params::read(const policy::FieldReader& r) {
  return {.defaultMemoryLimit = r.quantityText("defaultMemoryLimit"),
          .maxMemoryLimit = r.quantityText("maxMemoryLimit"),
          .quotaMemoryLimits = r.quantityText("quotaMemoryLimits")};
}

void EnforceQuotaAction::checkParams(const policy::FieldReader& params) const {
  const auto p = Params::read(params);
  if (!p.defaultMemoryLimit && !p.maxMemoryLimit && !p.quotaMemoryLimits)
    params.issue(params.path(),
                 "enforceQuota needs at least one of params.defaultMemoryLimit, "
                 "params.maxMemoryLimit, params.quotaMemoryLimits");
}

}  // namespace lg::actions
