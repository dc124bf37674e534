#include "operator/cli/recommend_command.h"

#include <algorithm>
#include <ostream>
#include <tuple>

#include "controllers/actions/action_support.h"
#include "operator/cli/cluster_session.h"
#include "operator/cli/text_table.h"

namespace lg::cli {
namespace {

using actions::stringAt;

// "64Mi -> 116Mi", "256Mi (keep)" when equal, "none -> 116Mi", "-" when there is no size.
std::string change(const std::string& current, const std::string& next) {
  if (next.empty()) return current.empty() ? "-" : current;
  if (current == next) return current + " (keep)";
  return (current.empty() ? "none" : current) + " -> " + next;
}

}  // namespace

std::vector<RecommendRow> collectRecommendations(const nlohmann::json& items) {
  std::vector<RecommendRow> rows;
  if (!items.is_array()) return rows;
  for (const auto& p : items) {
    if (!p.is_object() || !p.contains("status") || !p["status"].is_object()) continue;
    const auto& recs = p["status"].value("recommendations", nlohmann::json());
    if (!recs.is_array()) continue;
    for (const auto& r : recs) {
      if (!r.is_object()) continue;
      RecommendRow row;
      row.ns = stringAt(p, "/metadata/namespace");
      row.policy = stringAt(p, "/metadata/name");
      row.workload = stringAt(r, "/workload");
      row.container = stringAt(r, "/container");
      if (row.workload.empty() || row.container.empty()) continue;
      row.shape = stringAt(r, "/shape");
      row.basis = stringAt(r, "/basis");
      if (r.contains("pods") && r["pods"].is_number_integer()) row.pods = r["pods"].get<int>();
      row.currentRequest = stringAt(r, "/current/request");
      row.currentLimit = stringAt(r, "/current/limit");
      row.request = stringAt(r, "/request");
      row.limit = stringAt(r, "/limit");
      row.leakRate = stringAt(r, "/leak/rate");
      row.raise = stringAt(r, "/leak/raise");
      row.delay = stringAt(r, "/leak/delay");
      rows.push_back(std::move(row));
    }
  }
  std::sort(rows.begin(), rows.end(), [](const RecommendRow& a, const RecommendRow& b) {
    return std::tie(a.ns, a.workload, a.container, a.policy) <
           std::tie(b.ns, b.workload, b.container, b.policy);
  });
  return rows;
}

std::string formatRecommend(const std::vector<RecommendRow>& rows, const RecommendFlags& flags) {
  if (flags.output == "json" || flags.output == "yaml") {
    nlohmann::json items = nlohmann::json::array();
    for (const auto& r : rows) {
      nlohmann::json j = {{"namespace", r.ns},
                          {"policy", r.policy},
                          {"workload", r.workload},
                          {"container", r.container},
                          {"pods", r.pods},
                          {"shape", r.shape},
                          {"current", {{"request", r.currentRequest}, {"limit", r.currentLimit}}},
                          {"basis", r.basis}};
      if (!r.request.empty()) j["request"] = r.request;
      if (!r.limit.empty()) j["limit"] = r.limit;
      if (!r.leakRate.empty())
        j["leak"] = {{"rate", r.leakRate}, {"raise", r.raise}, {"delay", r.delay}};
      items.push_back(std::move(j));
    }
    return formatDocument({{"items", items}}, flags.output);
  }
  const bool wide = flags.output == "wide";
  std::vector<std::vector<std::string>> cells;
  std::vector<std::string> head;
  if (flags.allNamespaces) head.emplace_back("NAMESPACE");
  for (const char* h : {"WORKLOAD", "CONTAINER", "PODS", "REQUEST", "LIMIT"})
    head.emplace_back(h);
  if (wide)
    for (const char* h : {"SHAPE", "POLICY"})
      head.emplace_back(h);
  head.emplace_back("WHY");
  cells.push_back(head);
  for (const auto& r : rows) {
    std::vector<std::string> row;
    if (flags.allNamespaces) row.push_back(r.ns);
    row.push_back(r.workload);
    row.push_back(r.container);
    row.push_back(std::to_string(r.pods));
    row.push_back(change(r.currentRequest, r.request));
    row.push_back(change(r.currentLimit, r.limit));
    if (wide) {
      row.push_back(r.shape.empty() ? "-" : r.shape);
      row.push_back(r.policy);
    }
    row.push_back(r.basis.empty() ? "-" : r.basis);
    cells.push_back(std::move(row));
  }
  return textTable(cells);
}

int runRecommend(const RecommendFlags& flags, kube::ApiClient& api, const std::string& ns,
                 std::ostream& out, std::ostream& err) {
  auto items = listLeakGuard(api, "recommend", "leakpolicies", flags.allNamespaces ? "" : ns, err);
  if (!items) return 1;
  const auto rows = collectRecommendations(*items);
  if (rows.empty() && flags.output != "json" && flags.output != "yaml") {
    out << "No recommendations" << (flags.allNamespaces ? std::string() : " in namespace " + ns)
        << ": no LeakPolicy covers a running pod yet, or spec.recommendations.enabled is false.\n";
    return 0;
  }
  out << formatRecommend(rows, flags);
  return 0;
}

int runRecommend(const RecommendFlags& flags, std::ostream& out, std::ostream& err) {
  return withCluster("recommend", flags.kubeconfig, flags.context, flags.ns, err,
                     [&](auto& s) { return runRecommend(flags, *s.api, s.ns, out, err); });
}

}  // namespace lg::cli
