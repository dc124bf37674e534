#pragma once
// Everything the controller asks of the API server, as RBAC rules: its own calls (informers,
// policy and incident status, Events, metrics-server) and the enabled playbook actions'
// (Action::permissions). Leader election's Lease and the agents' pods in the release namespace
// are the chart's own Roles and not here. `leakguard rbac` prints these rules;
// tests/packaging/test_rbac.py checks the Helm chart grants exactly them for the same values.

#include <vector>

#include "controllers/actions/action_registry.h"
#include "operator/kube/permission.h"

namespace lg::reconcile {

// `nodeAccess`: the controller's --node-access. With it, nodes are read (a step's
// `when.nodeMemoryPressure`); listed and patched only with the reschedule action too (its taint,
// and the sweep that lifts it). Without it, nothing on nodes. Merged (kube::mergePermissions).
// `agentSigner`: it approves and signs the node agents' CertificateSigningRequests
// (AgentCertificateSigner), for its own signer only.
std::vector<kube::Permission> controllerPermissions(const actions::ActionRegistry& enabled,
                                                    bool nodeAccess, bool agentSigner = false);

// Whether the NodeTaintReconciler (the sweep lifting reschedule's taints) runs.
bool nodeTaintSweepEnabled(const actions::ActionRegistry& enabled, bool nodeAccess);

}  // namespace lg::reconcile
