#include "operator/cli/top_command.h"

#include <algorithm>
#include <chrono>
#include <ostream>
#include <sstream>
#include <tuple>

#include "controllers/actions/action_support.h"
#include "controllers/policy/duration.h"
#include "operator/cli/cluster_session.h"
#include "operator/cli/text_table.h"
#include "operator/kube/rfc3339.h"

namespace lg::cli {
namespace {

double epochSeconds(const std::string& rfc3339) {
  if (rfc3339.empty()) return 0;
  auto t = kube::parseRfc3339(rfc3339);
  if (!t) return 0;
  return std::chrono::duration<double>(t->time_since_epoch()).count();
}

std::string exhaustionText(const TopRow& r, double now) {
  if (r.exhaustionAt == 0) return "-";
  const double left = r.exhaustionAt - now;
  return left <= 0 ? "overdue " + policy::formatDuration(-left)
                   : "in " + policy::formatDuration(left);
}

}  // namespace

std::vector<TopRow> rankIncidents(const nlohmann::json& items) {
  std::vector<TopRow> rows;
  if (!items.is_array()) return rows;
  for (const auto& i : items) {
    if (!i.is_object()) continue;
    TopRow r;
    r.state = actions::stringAt(i, "/status/state");
    if (r.state != "Open" && r.state != "Mitigating") continue;
    r.ns = actions::stringAt(i, "/metadata/namespace");
    r.incident = actions::stringAt(i, "/metadata/name");
    if (r.incident.empty()) continue;
    r.pod = actions::stringAt(i, "/spec/pod/name");
    r.container = actions::stringAt(i, "/spec/container");
    r.resource = actions::stringAt(i, "/spec/resource");
    r.policy = actions::stringAt(i, "/spec/policy");
    r.rate = actions::stringAt(i, "/status/evidence/rate");
    r.lastAction = actions::stringAt(i, "/status/lastAction");
    r.exhaustionAt = epochSeconds(actions::stringAt(i, "/status/evidence/exhaustionAt"));
    // status.evidence.confidence, when status and evidence are objects and it is a number.
    const auto status = i.value("status", nlohmann::json::object());
    const auto evidence =
        status.is_object() ? status.value("evidence", nlohmann::json::object()) : nlohmann::json();
    if (evidence.is_object() && evidence.contains("confidence") &&
        evidence["confidence"].is_number())
      r.confidence = evidence["confidence"].get<double>();
    rows.push_back(std::move(r));
  }
  std::sort(rows.begin(), rows.end(), [](const TopRow& a, const TopRow& b) {
    const bool ak = a.exhaustionAt != 0, bk = b.exhaustionAt != 0;
    if (ak != bk) return ak;
    if (ak && a.exhaustionAt != b.exhaustionAt) return a.exhaustionAt < b.exhaustionAt;
    return std::tie(a.ns, a.incident) < std::tie(b.ns, b.incident);
  });
  return rows;
}

std::string formatTop(const std::vector<TopRow>& rows, double now, const TopFlags& flags) {
  if (flags.output == "json" || flags.output == "yaml") {
    nlohmann::json items = nlohmann::json::array();
    for (const auto& r : rows) {
      nlohmann::json j = {
          {"namespace", r.ns},         {"incident", r.incident}, {"pod", r.pod},
          {"container", r.container},  {"resource", r.resource}, {"state", r.state},
          {"policy", r.policy},        {"rate", r.rate},         {"lastAction", r.lastAction},
          {"confidence", r.confidence}};
      j["exhaustionInSeconds"] =
          r.exhaustionAt == 0 ? nlohmann::json(nullptr) : nlohmann::json(r.exhaustionAt - now);
      items.push_back(std::move(j));
    }
    return formatDocument({{"items", items}}, flags.output);
  }
  const bool wide = flags.output == "wide";
  std::vector<std::vector<std::string>> cells;
  std::vector<std::string> head;
  if (flags.allNamespaces) head.emplace_back("NAMESPACE");
  for (const char* h : {"POD", "CONTAINER", "RESOURCE", "RATE", "EXHAUSTION", "STATE"})
    head.emplace_back(h);
  if (wide)
    for (const char* h : {"LAST ACTION", "CONFIDENCE", "POLICY", "INCIDENT"})
      head.emplace_back(h);
  cells.push_back(head);
  std::vector<int> red;
  for (const auto& r : rows) {
    std::vector<std::string> row;
    if (flags.allNamespaces) row.push_back(r.ns);
    for (const std::string& v :
         {r.pod, r.container, r.resource, r.rate, exhaustionText(r, now), r.state})
      row.push_back(v.empty() ? "-" : v);
    if (wide) {
      std::ostringstream conf;
      conf.precision(2);
      conf << std::fixed << r.confidence;
      for (const std::string& v : {r.lastAction, conf.str(), r.policy, r.incident})
        row.push_back(v.empty() ? "-" : v);
    }
    // Colour on a terminal only: what runs out within the hour in red.
    if (flags.color && r.exhaustionAt != 0 && r.exhaustionAt - now < 3600)
      red.push_back(static_cast<int>(cells.size()));
    cells.push_back(std::move(row));
  }
  return textTable(cells, red);
}

int runTop(const TopFlags& flags, kube::ApiClient& api, const std::string& ns, double now,
           std::ostream& out, std::ostream& err) {
  auto items = listLeakGuard(api, "top", "leakincidents", flags.allNamespaces ? "" : ns, err);
  if (!items) return 1;
  const auto rows = rankIncidents(*items);
  if (rows.empty() && flags.output != "json" && flags.output != "yaml") {
    out << (flags.allNamespaces ? std::string("No open leak incidents.")
                                : "No open leak incidents in namespace " + ns + ".")
        << "\n";
    return 0;
  }
  out << formatTop(rows, now, flags);
  return 0;
}

int runTop(const TopFlags& flags, std::ostream& out, std::ostream& err) {
  return withCluster("top", flags.kubeconfig, flags.context, flags.ns, err,
                     [&](auto& s) { return runTop(flags, *s.api, s.ns, wallSeconds(), out, err); });
}

}  // namespace lg::cli
