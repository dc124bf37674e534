#pragma once
// `leakguard agent`: the node agent. Follows the pods of its node, samples their containers'
// cgroups and processes, and serves the samples over HTTPS to callers whose bearer token a
// TokenReview confirms as an allowed ServiceAccount (see controllers/agent/node_agent.h and
// token_authenticator.h). main() only parses flags.
//
// Runs as a host process or in a DaemonSet pod with hostPID (cgroup.procs pids must match the
// /proc it reads), /sys/fs/cgroup and /proc mounted read-only (--cgroup-root, --proc-root), and
// for OOM kills /dev/kmsg (CAP_SYSLOG). Its RBAC: get/list/watch pods, create tokenreviews.

#include <cstddef>
#include <string>
#include <vector>

namespace lg::cli {

struct AgentFlags {
  std::string kubeconfig;
  std::string context;
  std::string nodeName;                 // "" : $NODE_NAME
  std::vector<std::string> namespaces;  // empty: every namespace (see parseNamespaceList)
  std::string listen = ":9440";
  std::string interval = "10s";
  std::string cgroupRoot = "/sys/fs/cgroup";
  std::string procRoot = "/proc";
  std::string kubepodsCgroup;  // "" : search the memory hierarchy for kubepods
  std::string kmsg = "/dev/kmsg";
  std::string tlsCertFile;
  std::string tlsKeyFile;
  std::vector<std::string> allowedUsers;    // empty: the controller's ServiceAccount
  std::vector<std::string> tokenAudiences;  // empty: "leakguard-agent"; {""}: the API server's
  std::size_t bufferSamples = 8192;
  std::string logLevel = "info";
};

int runAgent(const AgentFlags& flags);

}  // namespace lg::cli
