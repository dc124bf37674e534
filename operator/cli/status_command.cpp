#include "operator/cli/status_command.h"

#include <algorithm>
#include <ostream>
#include <sstream>

#include "controllers/actions/action_support.h"
#include "controllers/policy/api_resources.h"
#include "operator/cli/cluster_session.h"
#include "operator/cli/text_table.h"
#include "operator/cli/top_command.h"

namespace lg::cli {
namespace {

using Ptr = nlohmann::json::json_pointer;

// The condition `type` of an object's status.conditions, or null.
nlohmann::json condition(const nlohmann::json& obj, const std::string& type) {
  const Ptr p("/status/conditions");
  if (!obj.contains(p) || !obj.at(p).is_array()) return nullptr;
  for (const auto& c : obj.at(p))
    if (c.is_object() && c.value("type", "") == type) return c;
  return nullptr;
}

nlohmann::json policies(kube::ApiClient& api, const std::string& ns, bool all) {
  auto items = listAll(api, policy::leakPoliciesRef(all ? "" : ns));
  if (!items) return {{"error", "cannot list leakpolicies: " + items.error().message}};
  nlohmann::json out = nlohmann::json::array();
  for (const auto& p : *items) {
    if (!p.is_object()) continue;
    const auto ready = condition(p, "Ready");
    const std::string mode = actions::stringAt(p, "/spec/mode");
    const auto number = [&](const char* pointer) {
      const Ptr ptr(pointer);
      return p.contains(ptr) && p.at(ptr).is_number_integer() ? p.at(ptr).get<int>() : 0;
    };
    out.push_back(
        {{"namespace", actions::stringAt(p, "/metadata/namespace")},
         {"name", actions::stringAt(p, "/metadata/name")},
         {"mode", mode.empty() ? "Observe" : mode},
         {"ready", ready.is_object() && ready.value("status", "") == "True"},
         {"reason", ready.is_object() ? ready.value("message", "") : "not reconciled yet"},
         {"matchedPods", number("/status/matchedPods")},
         {"leakingPods", number("/status/leakingPods")}});
  }
  return {{"items", out}};
}

nlohmann::json incidents(kube::ApiClient& api, const std::string& ns, bool all, double now) {
  auto items = listAll(api, policy::leakIncidentsRef(all ? "" : ns));
  if (!items) return {{"error", "cannot list leakincidents: " + items.error().message}};
  const auto rows = rankIncidents(*items);
  const auto soon = std::count_if(rows.begin(), rows.end(), [&](const TopRow& r) {
    return r.exhaustionAt != 0 && r.exhaustionAt - now < 3600;
  });
  return {{"open", rows.size()}, {"withinTheHour", soon}};
}

nlohmann::json agents(kube::ApiClient& api) {
  auto items = listAll(api, {.version = "v1", .resource = "pods"},
                       {.labelSelector = "app.kubernetes.io/name=leakguard-agent"});
  if (!items) return {{"error", "cannot list the agents' pods: " + items.error().message}};
  int ready = 0;
  nlohmann::json notReady = nlohmann::json::array();
  for (const auto& p : *items) {
    if (!p.is_object()) continue;
    const auto c = condition(p, "Ready");
    if (c.is_object() && c.value("status", "") == "True")
      ++ready;
    else if (const std::string node = actions::stringAt(p, "/spec/nodeName"); !node.empty())
      notReady.push_back(node);
    else
      notReady.push_back(actions::stringAt(p, "/metadata/name"));
  }
  return {{"ready", ready},
          {"total", ready + static_cast<int>(notReady.size())},
          {"notReady", notReady}};
}

nlohmann::json sources(kube::ApiClient& api) {
  auto svc = api.get({.group = "apiregistration.k8s.io",
                      .version = "v1",
                      .resource = "apiservices",
                      .name = "v1beta1.metrics.k8s.io"});
  if (!svc) {
    if (svc.error().code == 404)
      return {{"metricsServer", false}, {"message", "metrics.k8s.io is not served"}};
    return {{"error", "cannot read the metrics.k8s.io APIService: " + svc.error().message}};
  }
  const auto c = condition(*svc, "Available");
  const bool up = c.is_object() && c.value("status", "") == "True";
  return {{"metricsServer", up}, {"message", c.is_object() ? c.value("message", "") : ""}};
}

}  // namespace

nlohmann::json collectStatus(kube::ApiClient& api, const std::string& ns, bool allNamespaces,
                             double now) {
  return {{"namespace", allNamespaces ? nlohmann::json(nullptr) : nlohmann::json(ns)},
          {"policies", policies(api, ns, allNamespaces)},
          {"incidents", incidents(api, ns, allNamespaces, now)},
          {"agents", agents(api)},
          {"sources", sources(api)}};
}

std::string formatStatus(const nlohmann::json& st, bool allNamespaces) {
  std::ostringstream out;
  const auto& pol = st["policies"];
  if (pol.contains("error")) {
    out << "Policies: " << pol["error"].get<std::string>() << "\n";
  } else if (pol["items"].empty()) {
    out << "Policies: none"
        << (allNamespaces ? "" : " in namespace " + st["namespace"].get<std::string>()) << "\n";
  } else {
    std::vector<std::vector<std::string>> cells;
    std::vector<std::string> head;
    if (allNamespaces) head.emplace_back("NAMESPACE");
    for (const char* h : {"POLICY", "MODE", "READY", "PODS", "LEAKING"})
      head.emplace_back(h);
    cells.push_back(head);
    for (const auto& p : pol["items"]) {
      std::vector<std::string> row;
      if (allNamespaces) row.push_back(p["namespace"]);
      row.push_back(p["name"]);
      row.push_back(p["mode"]);
      row.push_back(p["ready"].get<bool>() ? "True" : "False: " + p["reason"].get<std::string>());
      row.push_back(std::to_string(p["matchedPods"].get<int>()));
      row.push_back(std::to_string(p["leakingPods"].get<int>()));
      cells.push_back(std::move(row));
    }
    out << textTable(cells);
  }
  const auto& inc = st["incidents"];
  if (inc.contains("error"))
    out << "Incidents: " << inc["error"].get<std::string>() << "\n";
  else
    out << "Incidents: " << inc["open"].get<int>() << " open, " << inc["withinTheHour"].get<int>()
        << " running out within the hour (leakguard top)\n";
  const auto& ag = st["agents"];
  if (ag.contains("error")) {
    out << "Agents: " << ag["error"].get<std::string>() << "\n";
  } else {
    out << "Agents: " << ag["ready"].get<int>() << "/" << ag["total"].get<int>() << " Ready";
    if (!ag["notReady"].empty()) {
      out << "; not Ready on:";
      for (const auto& n : ag["notReady"])
        out << " " << n.get<std::string>();
    }
    if (ag["total"].get<int>() == 0) out << " (no agent: fds and threads are not followed)";
    out << "\n";
  }
  const auto& src = st["sources"];
  if (src.contains("error"))
    out << "metrics-server: " << src["error"].get<std::string>() << "\n";
  else
    out << "metrics-server: " << (src["metricsServer"].get<bool>() ? "Available" : "not Available")
        << (src["message"].get<std::string>().empty() || src["metricsServer"].get<bool>()
                ? ""
                : " (" + src["message"].get<std::string>() + ")")
        << "\n";
  return out.str();
}

int runStatus(const StatusFlags& flags, kube::ApiClient& api, const std::string& ns, double now,
              std::ostream& out, std::ostream& err) {
  const auto st = collectStatus(api, ns, flags.allNamespaces, now);
  if (flags.output == "json" || flags.output == "yaml")
    out << formatDocument(st, flags.output);
  else
    out << formatStatus(st, flags.allNamespaces);
  bool failed = false;
  for (const char* part : {"policies", "incidents", "agents", "sources"})
    if (st[part].contains("error")) {
      err << "leakguard status: " << st[part]["error"].get<std::string>() << "\n";
      failed = true;
    }
  return failed ? 1 : 0;
}

int runStatus(const StatusFlags& flags, std::ostream& out, std::ostream& err) {
  return withCluster("status", flags.kubeconfig, flags.context, flags.ns, err, [&](auto& s) {
    return runStatus(flags, *s.api, s.ns, wallSeconds(), out, err);
  });
}

}  // namespace lg::cli
