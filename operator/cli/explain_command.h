#pragma once
// `leakguard explain INCIDENT` (also `kubectl leakguard explain`): one LeakIncident in words and
// as a chart. What was measured and how fast it grew (with the 90% interval), the benign
// explanation the data rejected and how confidently, when the limit is reached; then the usage
// LeakGuard kept in the incident's status (status.usage: a few dozen buckets), the fitted
// trend, the forecast's 90% fan and the limit, drawn in the terminal (UsageChart); then what
// the playbook did (status.actions), the diagnostics captured and how it ended. kubectl's
// conventions: -n, -o json|yaml, --context, --kubeconfig; colour only on a terminal. Reads the
// one incident (get leakincidents); the API call has a 10 s deadline.

#include <iosfwd>
#include <nlohmann/json.hpp>
#include <string>

#include "operator/kube/api_client.h"

namespace lg::cli {

struct ExplainFlags {
  std::string kubeconfig;
  std::string context;
  std::string ns;      // "": the context's namespace, else "default"
  std::string output;  // "", "json" or "yaml"
  bool color = false;  // set by main when stdout is a terminal
  int width = 60;      // columns of the chart's plot area
};

// The explanation of `incident` (a LeakIncident as the API sends it); `now` for "12m ago".
// Fields that are missing or malformed are left out, never fatal.
std::string formatExplain(const nlohmann::json& incident, double now, const ExplainFlags& flags);

// Gets the incident through `api` and prints it; returns the exit code (1 when it does not exist
// or the API refuses, naming why).
int runExplain(const ExplainFlags& flags, kube::ApiClient& api, const std::string& ns,
               const std::string& name, double now, std::ostream& out, std::ostream& err);
// Loads the kubeconfig, then runExplain.
int runExplain(const ExplainFlags& flags, const std::string& name, std::ostream& out,
               std::ostream& err);

}  // namespace lg::cli
