#include "controllers/actions/rollback_action.h"

#include <algorithm>

#include "controllers/actions/action_support.h"

namespace lg::actions {
namespace {

struct Revision {
  int64_t number = 0;
  std::string name;  // ReplicaSet or ControllerRevision
  std::string hash;  // pod-template-hash, or the ControllerRevision's name
  const nlohmann::json* object = nullptr;
};

int64_t parseRevision(const std::string& s) {
  if (s.empty() || s.size() > 18 || !std::all_of(s.begin(), s.end(), ::isdigit)) return 0;
  return std::stoll(s);
}

bool ownedBy(const nlohmann::json& obj, const std::string& uid) {
  if (!obj.is_object() || !obj.contains("metadata") || !obj["metadata"].is_object()) return false;
  const auto& md = obj["metadata"];
  auto refs = md.find("ownerReferences");
  if (refs == md.end() || !refs->is_array()) return false;
  for (const auto& r : *refs)
    if (r.is_object() && stringAt(r, "/uid") == uid && r.value("controller", false) == true)
      return true;
  return false;
}

// Every object of a namespaced collection (pages followed, bounded).
Result<std::vector<nlohmann::json>> listAll(const ActionContext& ctx, kube::ResourceRef ref) {
  std::vector<nlohmann::json> out;
  kube::ListOptions opts;
  opts.timeout = ctx.timeout;
  for (int page = 0; page < 20; ++page) {
    auto p = ctx.api->list(ref, opts);
    if (!p) return p.error();
    for (auto& item : p->items)
      out.push_back(std::move(item));
    if (p->continueToken.empty()) break;
    opts.continueToken = p->continueToken;
  }
  return out;
}

// Newest earlier revision the leak was not seen in.
const Revision* healthyEarlier(const std::vector<Revision>& revs, int64_t current,
                               const std::set<std::string>& leaking) {
  for (const auto& r : revs)  // newest first
    if (r.number < current && !leaking.count(r.hash)) return &r;
  return nullptr;
}

std::string leakingList(const std::vector<Revision>& revs, const std::set<std::string>& leaking) {
  std::string out;
  for (const auto& r : revs)
    if (leaking.count(r.hash)) out += (out.empty() ? "" : ", ") + std::to_string(r.number);
  return out;
}

}  // namespace

ActionPlan RollbackAction::prepare(const ActionContext& ctx) const {
  const auto& kind = ctx.target->workloadKind;
  if (kind == "Deployment") return prepareDeployment(ctx);
  if (kind == "StatefulSet") return prepareStatefulSet(ctx);
  return ActionPlan::skip("rollback needs a Deployment or StatefulSet; pod " + ctx.target->podName +
                          " has " + (kind.empty() ? "no owner" : kind));
}

ActionPlan RollbackAction::prepareDeployment(const ActionContext& ctx) const {
  const auto& t = *ctx.target;
  auto dep = ctx.api->get(appsRef("deployments", t.ns, t.workloadName));
  if (!dep) {
    if (dep.error().code == 404)
      return ActionPlan::skip("deployment/" + t.workloadName + " is gone");
    return ActionPlan::fail("reading deployment/" + t.workloadName + ": " + dep.error().message);
  }
  const std::string uid = stringAt(*dep, "/metadata/uid");
  auto all = listAll(ctx, appsRef("replicasets", t.ns));
  if (!all) return ActionPlan::fail("listing replicasets: " + all.error().message);
  std::vector<Revision> revs;
  for (const auto& rs : *all) {
    if (!ownedBy(rs, uid)) continue;
    Revision r{.number = parseRevision(
                   stringAt(rs, "/metadata/annotations/deployment.kubernetes.io~1revision")),
               .name = stringAt(rs, "/metadata/name"),
               .hash = stringAt(rs, "/metadata/labels/pod-template-hash"),
               .object = &rs};
    if (r.number > 0) revs.push_back(r);
  }
  std::sort(revs.begin(), revs.end(),
            [](const auto& a, const auto& b) { return a.number > b.number; });
  if (revs.empty()) return ActionPlan::skip("deployment/" + t.workloadName + " has no revisions");
  const Revision& current = revs.front();
  if (!t.workloadRevision.empty() && t.workloadRevision != current.hash)
    return ActionPlan::skip("pod " + t.podName + " runs an older template (" + t.workloadRevision +
                            ") than revision " + std::to_string(current.number) +
                            ": the leak did not come with the current revision");
  std::set<std::string> leaking = ctx.leakingRevisions;
  leaking.insert(current.hash);
  const Revision* target = healthyEarlier(revs, current.number, leaking);
  if (!target) {
    const std::string seen = leakingList(revs, leaking);
    return ActionPlan::skip(revs.size() == 1
                                ? "deployment/" + t.workloadName + " has no earlier revision"
                                : "no earlier healthy revision: revision " + seen +
                                      (seen.find(',') == std::string::npos ? " was" : " were") +
                                      " already leaking");
  }
  nlohmann::json tmpl = target->object->value("spec", nlohmann::json::object())
                            .value("template", nlohmann::json::object());
  if (tmpl.contains("metadata") && tmpl["metadata"].is_object() &&
      tmpl["metadata"].contains("labels") && tmpl["metadata"]["labels"].is_object())
    tmpl["metadata"]["labels"].erase("pod-template-hash");
  return ActionPlan::go("roll deployment/" + t.workloadName + " back from revision " +
                            std::to_string(current.number) + " to revision " +
                            std::to_string(target->number) + " (replicaset/" + target->name + ")",
                        {{"template", tmpl},
                         {"resourceVersion", stringAt(*dep, "/metadata/resourceVersion")},
                         {"from", current.number},
                         {"to", target->number}});
}

ActionPlan RollbackAction::prepareStatefulSet(const ActionContext& ctx) const {
  const auto& t = *ctx.target;
  auto sts = ctx.api->get(appsRef("statefulsets", t.ns, t.workloadName));
  if (!sts) {
    if (sts.error().code == 404)
      return ActionPlan::skip("statefulset/" + t.workloadName + " is gone");
    return ActionPlan::fail("reading statefulset/" + t.workloadName + ": " + sts.error().message);
  }
  const std::string uid = stringAt(*sts, "/metadata/uid");
  auto all = listAll(ctx, appsRef("controllerrevisions", t.ns));
  if (!all) return ActionPlan::fail("listing controllerrevisions: " + all.error().message);
  std::vector<Revision> revs;
  for (const auto& cr : *all) {
    if (!ownedBy(cr, uid)) continue;
    const auto n = cr.is_object() ? cr.value("revision", nlohmann::json(0)) : nlohmann::json(0);
    Revision r{.number = n.is_number_integer() ? n.get<int64_t>() : 0,
               .name = stringAt(cr, "/metadata/name"),
               .hash = stringAt(cr, "/metadata/name"),
               .object = &cr};
    if (r.number > 0) revs.push_back(r);
  }
  std::sort(revs.begin(), revs.end(),
            [](const auto& a, const auto& b) { return a.number > b.number; });
  const std::string updateRevision = stringAt(*sts, "/status/updateRevision");
  auto cur = std::find_if(revs.begin(), revs.end(),
                          [&](const Revision& r) { return r.name == updateRevision; });
  if (cur == revs.end()) cur = revs.begin();
  if (revs.empty()) return ActionPlan::skip("statefulset/" + t.workloadName + " has no revisions");
  if (!t.workloadRevision.empty() && t.workloadRevision != cur->hash)
    return ActionPlan::skip("pod " + t.podName + " runs revision " + t.workloadRevision +
                            ", not the current " + cur->name +
                            ": the leak did not come with the current revision");
  std::set<std::string> leaking = ctx.leakingRevisions;
  leaking.insert(cur->hash);
  const Revision* target = healthyEarlier(revs, cur->number, leaking);
  if (!target) {
    const std::string seen = leakingList(revs, leaking);
    return ActionPlan::skip(revs.size() == 1
                                ? "statefulset/" + t.workloadName + " has no earlier revision"
                                : "no earlier healthy revision: revision " + seen +
                                      (seen.find(',') == std::string::npos ? " was" : " were") +
                                      " already leaking");
  }
  const auto data = target->object->value("data", nlohmann::json::object());
  if (!data.is_object() || data.empty())
    return ActionPlan::skip("controllerrevision/" + target->name + " holds no template");
  return ActionPlan::go("roll statefulset/" + t.workloadName + " back from revision " +
                            std::to_string(cur->number) + " to revision " +
                            std::to_string(target->number) + " (controllerrevision/" +
                            target->name + ")",
                        {{"patch", data}, {"from", cur->number}, {"to", target->number}});
}

ActionResult RollbackAction::run(const ActionContext& ctx, const ActionPlan& plan) const {
  const auto& t = *ctx.target;
  const std::string what = "revision " + std::to_string(plan.data.value("from", int64_t{0})) +
                           " -> " + std::to_string(plan.data.value("to", int64_t{0}));
  Result<nlohmann::json> r = makeError("not run");
  std::string obj;
  if (t.workloadKind == "Deployment") {
    obj = "deployment/" + t.workloadName;
    const nlohmann::json patch = nlohmann::json::array(
        {{{"op", "test"},
          {"path", "/metadata/resourceVersion"},
          {"value", plan.data["resourceVersion"]}},
         {{"op", "replace"}, {"path", "/spec/template"}, {"value", plan.data["template"]}}});
    r = ctx.api->patch(appsRef("deployments", t.ns, t.workloadName), kube::PatchType::kJson, patch,
                       writeOptions(ctx));
  } else {
    obj = "statefulset/" + t.workloadName;
    r = ctx.api->patch(appsRef("statefulsets", t.ns, t.workloadName),
                       kube::PatchType::kStrategicMerge, plan.data["patch"], writeOptions(ctx));
  }
  if (r) return ActionResult::succeeded("RolledBack", obj + " rolled back, " + what);
  if (r.error().code == 404) return ActionResult::notPossible(obj + " is gone");
  return ActionResult::failed("rolling " + obj + " back (" + what + "): " + r.error().message);
}

}  // namespace lg::actions
