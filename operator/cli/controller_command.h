#pragma once
// `leakguard controller`: the operator. Watches LeakPolicies, Pods, ReplicaSets and
// LeakIncidents, follows every container's usage (metrics-server, node agents), runs the
// detectors, and reconciles policies (status, incidents, playbooks). main() only parses flags.

#include <chrono>
#include <string>
#include <vector>

namespace lg::cli {

struct ControllerFlags {
  std::string kubeconfig;  // "" : KUBECONFIG, in-cluster, ~/.kube/config
  std::string context;
  std::string healthAddress = ":8080";
  bool leaderElect = true;
  bool streamingLists = false;  // ReflectorOptions::streamingList for pods and ReplicaSets
  std::size_t maxSeries = 0;    // UsageHubOptions::maxSeries; 0: no bound
  bool agentDetection = false;  // the agents detect (reconcile/agent_detection.h)
  std::string leaseNamespace = "leakguard-system";
  std::string leaseName = "leakguard-controller";
  std::string identity;  // "" : pod name (POD_NAME / HOSTNAME) + random suffix
  int workers = 2;
  std::chrono::seconds metricsInterval{15};
  std::chrono::seconds resync{30};
  // Escalating actions (resize, restart, reschedule, rollback) this controller starts per
  // minute across all policies: a brake on a storm of findings. 0: no limit.
  int maxEscalationsPerMinute = 10;
  std::string logLevel = "info";
  // Watch and act only in these namespaces (sorted, validated by parseNamespaceList); empty:
  // every namespace. Scoped, the controller lists and watches per namespace, so Roles in
  // those namespaces are all the RBAC it needs (plus nodes for reschedule).
  std::vector<std::string> namespaces;
  // The cluster lets us list and patch nodes: the NodeTaintReconciler releases LeakGuard's
  // memory-pressure taints (without, reschedule cannot taint either).
  bool nodeAccess = true;
  // Playbook actions this LeakGuard may take: "all", "none" or names separated by commas (see
  // rbac_command.h). A policy naming another is not Ready, and says why.
  std::string actions = "all";
  // ---- node agents: see controllers/sources/agent_source.h ----
  int agentPort = 9440;
  std::string agentNamespace = "leakguard-system";
  std::string agentCaFile;                          // "" : agents' certificates are not verified
  std::string agentServerName = "leakguard-agent";  // {node}: the agent's node
  std::string agentSignerCertFile;  // with the key: sign the agents' per-node certificates
  std::string agentSignerKeyFile;
  std::string agentUser;  // "": system:serviceaccount:<agentNamespace>:leakguard-agent
  std::string agentCertificateLifetime = "24h";
  std::string agentTokenFile = "/var/run/secrets/leakguard/agent/token";
  // ---- end node agents ----
};

int runController(const ControllerFlags& flags);

}  // namespace lg::cli
