#include "controllers/reconcile/cached_objects.h"

#include "controllers/policy/api_resources.h"

namespace lg::reconcile {
namespace {

std::string str(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

const nlohmann::json& obj(const nlohmann::json& j, const char* key) {
  static const nlohmann::json kEmpty = nlohmann::json::object();
  if (!j.is_object()) return kEmpty;
  auto it = j.find(key);
  return it != j.end() && it->is_object() ? *it : kEmpty;
}

}  // namespace

std::optional<PolicyObject> projectPolicy(const nlohmann::json& o,
                                          const policy::ActionCatalog& actions) {
  const auto& md = obj(o, "metadata");
  PolicyObject p;
  p.name = str(md, "name");
  if (p.name.empty()) return std::nullopt;
  p.ns = str(md, "namespace");
  p.uid = str(md, "uid");
  p.created = str(md, "creationTimestamp");
  if (auto g = md.find("generation"); g != md.end() && g->is_number_integer())
    p.generation = g->get<int64_t>();
  p.parsed = policy::parseLeakPolicy(o, actions);
  p.status = obj(o, "status");
  return p;
}

std::optional<ReplicaSetObject> projectReplicaSet(const nlohmann::json& o) {
  const auto& md = obj(o, "metadata");
  ReplicaSetObject r;
  r.name = str(md, "name");
  if (r.name.empty()) return std::nullopt;
  r.ns = str(md, "namespace");
  r.uid = str(md, "uid");
  r.revision = str(obj(md, "annotations"), "deployment.kubernetes.io/revision");
  r.podTemplateHash = str(obj(md, "labels"), "pod-template-hash");
  if (auto refs = md.find("ownerReferences"); refs != md.end() && refs->is_array()) {
    for (const auto& ref : *refs) {
      if (ref.is_object() && ref.value("controller", false)) {
        r.ownerKind = str(ref, "kind");
        r.ownerName = str(ref, "name");
      }
    }
  }
  const auto& spec = obj(o, "spec");
  if (auto n = spec.find("replicas"); n != spec.end() && n->is_number_integer())
    r.replicas = n->get<int32_t>();
  return r;
}

std::optional<IncidentObject> projectIncident(const nlohmann::json& o) {
  const auto& md = obj(o, "metadata");
  IncidentObject i;
  i.name = str(md, "name");
  if (i.name.empty()) return std::nullopt;
  i.ns = str(md, "namespace");
  i.created = str(md, "creationTimestamp");
  const auto& labels = obj(md, "labels");
  i.podUid = str(labels, policy::kLabelPodUid);
  i.container = str(labels, policy::kLabelContainer);
  const auto& spec = obj(o, "spec");
  i.policy = str(spec, "policy");
  i.resource = str(spec, "resource");
  i.podName = str(obj(spec, "pod"), "name");
  i.node = str(obj(spec, "pod"), "node");
  const auto& workload = obj(spec, "workload");
  i.workloadKind = str(workload, "kind");
  i.workloadName = str(workload, "name");
  i.workloadRevision = str(workload, "revision");
  i.status = obj(o, "status");
  i.state = str(i.status, "state");
  return i;
}

}  // namespace lg::reconcile
