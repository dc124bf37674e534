#pragma once
// `leakguard top` (also `kubectl leakguard top`, with the binary installed as
// kubectl-leakguard): the containers LeakGuard found leaking, soonest exhaustion first, from the
// open LeakIncidents (Open or Mitigating). kubectl's conventions: -n NAMESPACE (default: the
// context's), -A for every namespace, -o wide|json|yaml, --context, --kubeconfig; colour only on a
// terminal. Reads incidents only (list leakincidents); each API call has a 10 s deadline.

#include <iosfwd>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "operator/kube/api_client.h"

namespace lg::cli {

struct TopFlags {
  std::string kubeconfig;
  std::string context;
  std::string ns;  // "": the context's namespace, else "default"
  bool allNamespaces = false;
  std::string output;  // "", "wide", "json" or "yaml"
  bool color = false;  // set by main when stdout is a terminal
};

// One open incident, as `top` shows it.
struct TopRow {
  std::string ns, incident, pod, container, resource, state, policy, rate, lastAction;
  double exhaustionAt = 0;  // seconds since the epoch; 0: unknown
  double confidence = 0;
};

// The open incidents among `items` (LeakIncident objects as the API sends them), soonest
// exhaustion first (unknown last, then by namespace and name). Malformed items are skipped.
std::vector<TopRow> rankIncidents(const nlohmann::json& items);

// The table (kubectl's layout: upper-case headers, columns two spaces apart) or JSON.
std::string formatTop(const std::vector<TopRow>& rows, double now, const TopFlags& flags);

// Lists the incidents through `api` and prints them; returns the exit code (1 when the API
// refuses or cannot be reached, naming why).
int runTop(const TopFlags& flags, kube::ApiClient& api, const std::string& ns, double now,
           std::ostream& out, std::ostream& err);

// Loads the kubeconfig, then runTop.
int runTop(const TopFlags& flags, std::ostream& out, std::ostream& err);

}  // namespace lg::cli
