#pragma once
// `leakguard recommend` (also `kubectl leakguard recommend`): memory sizes for the workloads
// the LeakPolicies cover, from their status.recommendations (the controller computes them from
// the usage it observed: SizingAdvisor). Per workload and container: the current request and
// limit, the recommended ones and how they were reached; for a leaking container no size but
// what a bigger limit would buy; for usage still rising or observed too briefly, why there is
// none yet. kubectl's conventions: -n, -A, -o wide|json|yaml, --context, --kubeconfig. Reads
// LeakPolicies only (list leakpolicies); each API call has a 10 s deadline.

#include <iosfwd>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "operator/kube/api_client.h"

namespace lg::cli {

struct RecommendFlags {
  std::string kubeconfig;
  std::string context;
  std::string ns;  // "": the context's namespace, else "default"
  bool allNamespaces = false;
  std::string output;  // "", "wide", "json" or "yaml"
};

struct RecommendRow {
  std::string ns, policy, workload, container, shape, basis;
  int pods = 0;
  std::string currentRequest, currentLimit, request, limit;
  std::string leakRate, raise, delay;  // a leaking container
};

// The rows of the policies in `items` (LeakPolicy objects as the API sends them), by namespace,
// workload, container and policy. Malformed entries are skipped.
std::vector<RecommendRow> collectRecommendations(const nlohmann::json& items);

std::string formatRecommend(const std::vector<RecommendRow>& rows, const RecommendFlags& flags);

int runRecommend(const RecommendFlags& flags, kube::ApiClient& api, const std::string& ns,
                 std::ostream& out, std::ostream& err);
int runRecommend(const RecommendFlags& flags, std::ostream& out, std::ostream& err);

}  // namespace lg::cli
