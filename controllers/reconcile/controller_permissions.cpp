#include "controllers/reconcile/controller_permissions.h"

#include "controllers/agent/certificate_request.h"

namespace lg::reconcile {

bool nodeTaintSweepEnabled(const actions::ActionRegistry& enabled, bool nodeAccess) {
  return nodeAccess && enabled.knows("reschedule");
}

std::vector<kube::Permission> controllerPermissions(const actions::ActionRegistry& enabled,
                                                    bool nodeAccess, bool agentSigner) {
  std::vector<kube::Permission> rules = {
      // LeakPolicies: the informer; each policy's status (merge patch).
      {"leakguard.io", "leakpolicies", {"list", "watch"}, {}},
      {"leakguard.io", "leakpolicies/status", {"patch"}, {}},
      // LeakIncidents: the informer, the journal's reads, created on a confirmed leak, the
      // oldest closed ones deleted (bounded history); status by merge patch, the journal by
      // update with the resourceVersion read.
      {"leakguard.io", "leakincidents", {"get", "list", "watch", "create", "delete"}, {}},
      {"leakguard.io", "leakincidents/status", {"patch", "update"}, {}},
      // Pods: the informer (also the agents' pods); get: the executor re-reads a pod.
      {"", "pods", {"get", "list", "watch"}, {}},
      // ReplicaSets: the informer mapping pods to their Deployment and revision.
      {"apps", "replicasets", {"list", "watch"}, {}},
      // Events (events.k8s.io/v1), repeats patched onto the same Event as a series.
      {"events.k8s.io", "events", {"create", "patch"}, {}},
      // Coarse usage from metrics-server.
      {"metrics.k8s.io", "pods", {"list"}, {}},
  };
  // A step's `when.nodeMemoryPressure` reads the pod's node (any action).
  if (nodeAccess) rules.push_back({"", "nodes", {"get"}, {}});
  // The sweep that lifts the taints reschedule put on nodes.
  if (nodeTaintSweepEnabled(enabled, nodeAccess))
    rules.push_back({"", "nodes", {"list", "patch"}, {}});
  if (agentSigner) {
    // AgentCertificateSigner: the informer on the agents' CSRs (field selector on the signer);
    // the approval (Approved or Denied) and the certificate written with the read
    // resourceVersion. The API server also wants approve and sign on the signer itself: on
    // leakguard.io/agent-serving only, so no other signer's request can be approved.
    rules.push_back(
        {"certificates.k8s.io", "certificatesigningrequests", {"get", "list", "watch"}, {}});
    rules.push_back({"certificates.k8s.io", "certificatesigningrequests/approval", {"update"}, {}});
    rules.push_back({"certificates.k8s.io", "certificatesigningrequests/status", {"update"}, {}});
    rules.push_back(
        {"certificates.k8s.io", "signers", {"approve", "sign"}, {agent::kAgentServingSigner}});
  }
  for (auto& p : enabled.permissions()) {
    // Without node access, reschedule's steps fail saying Forbidden: nothing on nodes.
    if (!nodeAccess && p.resource == "nodes") continue;
    rules.push_back(std::move(p));
  }
  return kube::mergePermissions(rules);
}

}  // namespace lg::reconcile
