#pragma once
// `leakguard agent`: the node agent. Follows the pods of its node, samples their containers'
// cgroups and processes, and serves the samples over HTTPS to callers whose bearer token a
// TokenReview confirms as an allowed ServiceAccount (see controllers/agent/node_agent.h and
// token_authenticator.h). main() only parses flags.
//
// Runs as a host process or in a DaemonSet pod with hostPID (cgroup.procs pids must match the
// /proc it reads), /sys/fs/cgroup and /proc mounted read-only (--cgroup-root, --proc-root), and
// for OOM kills /dev/kmsg (CAP_SYSLOG), with --container-log-links the host's /var/log/containers.
// Its RBAC: list/watch pods (none with --container-log-links), create tokenreviews; with
// --certificate-signer, create and get certificatesigningrequests.

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
  // Plain HTTP /metrics, /healthz and /readyz for Prometheus (no token, no TLS); "": none.
  std::string metricsListen;
  std::string interval = "10s";
  std::string cgroupRoot = "/sys/fs/cgroup";
  std::string procRoot = "/proc";
  std::string kubepodsCgroup;  // "" : search the memory hierarchy for kubepods
  std::string kmsg = "/dev/kmsg";
  std::string containerLogLinks;  // "": pods from the API; else the host's /var/log/containers
  std::string tlsCertFile;
  std::string tlsKeyFile;
  // Non-empty: a per-node certificate through a CertificateSigningRequest for this signer,
  // rotated (controllers/agent/certificate_rotator.h), instead of the files or a self-signed one.
  std::string certificateSigner;
  std::string certificateLifetime = "24h";
  std::vector<std::string> allowedUsers;    // empty: the controller's ServiceAccount
  std::vector<std::string> tokenAudiences;  // empty: "leakguard-agent"; {""}: the API server's
  std::size_t bufferSamples = 8192;
  bool detection = false;  // reconcile/node_detector.h
  std::string logLevel = "info";
};

int runAgent(const AgentFlags& flags);

}  // namespace lg::cli
