#pragma once
// `leakguard status` (also `kubectl leakguard status`): is LeakGuard working here? Four parts,
// each read on its own so that one the user may not read (RBAC) is reported, not fatal:
//   policies   LeakPolicies of the namespace (-n, the context's by default) or all (-A): mode,
//              Ready (with the reason when not), pods matched and leaking;
//   incidents  the open ones (Open or Mitigating), and how many run out within the hour;
//   agents     the node agents' pods (label app.kubernetes.io/name=leakguard-agent, every
//              namespace): how many are Ready, and the nodes of those that are not;
//   sources    whether the metrics.k8s.io APIService is Available.
// -o json|yaml gives the same as one object. Exit 0 when every part could be read, 1 otherwise.

#include <iosfwd>
#include <nlohmann/json.hpp>
#include <string>

#include "operator/kube/api_client.h"

namespace lg::cli {

struct StatusFlags {
  std::string kubeconfig;
  std::string context;
  std::string ns;  // "": the context's namespace, else "default"
  bool allNamespaces = false;
  std::string output;  // "", "json" or "yaml"
};

// What status found, as the JSON that -o json prints ("error" in a part that could not be read).
nlohmann::json collectStatus(kube::ApiClient& api, const std::string& ns, bool allNamespaces,
                             double now);
// The words and tables.
std::string formatStatus(const nlohmann::json& status, bool allNamespaces);

int runStatus(const StatusFlags& flags, kube::ApiClient& api, const std::string& ns, double now,
              std::ostream& out, std::ostream& err);
int runStatus(const StatusFlags& flags, std::ostream& out, std::ostream& err);

}  // namespace lg::cli
