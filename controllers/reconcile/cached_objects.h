#pragma once
// What the operator caches of LeakPolicies, ReplicaSets and LeakIncidents: small projections,
// never the whole JSON (see DESIGN.md, "Memory budget"). Projectors tolerate missing and
// mistyped fields and never throw; an object without a name projects to nullopt.

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "controllers/policy/leak_policy.h"

namespace lg::reconcile {

struct PolicyObject {
  std::string ns, name, uid;
  std::string created;  // metadata.creationTimestamp (RFC 3339): which policy judges a series
  int64_t generation = 0;
  policy::ParsedPolicy parsed;
  nlohmann::json status = nlohmann::json::object();  // as last stored (for change detection)
  std::string key() const { return ns + "/" + name; }
};
// `actions`: what a playbook step may name, and the checks of its params.
std::optional<PolicyObject> projectPolicy(const nlohmann::json& obj,
                                          const policy::ActionCatalog& actions);

struct ReplicaSetObject {
  std::string ns, name, uid;
  std::string ownerKind, ownerName;  // the controlling owner (a Deployment), if any
  std::string revision;              // deployment.kubernetes.io/revision
  std::string podTemplateHash;       // labels[pod-template-hash]
  int32_t replicas = 0;
};
std::optional<ReplicaSetObject> projectReplicaSet(const nlohmann::json& obj);

struct IncidentObject {
  std::string ns, name;
  std::string policy;
  std::string podUid, podName, container, resource;
  std::string node;                                          // spec.pod.node
  std::string workloadKind, workloadName, workloadRevision;  // spec.workload
  std::string state;    // Open, Mitigating, Resolved, Abandoned
  std::string created;  // metadata.creationTimestamp (RFC 3339), for pruning oldest first
  nlohmann::json status = nlohmann::json::object();
  std::string key() const { return ns + "/" + name; }
};
std::optional<IncidentObject> projectIncident(const nlohmann::json& obj);

}  // namespace lg::reconcile
