#include "controllers/reconcile/node_taint_reconciler.h"

#include <set>

#include "controllers/actions/action_support.h"
#include "controllers/actions/incident_journal.h"
#include "controllers/actions/playbook_planner.h"
#include "controllers/actions/reschedule_action.h"
#include "operator/util/logger.h"

namespace lg::reconcile {

using actions::RescheduleAction;

NodeTaintReconciler::Verdict NodeTaintReconciler::judge(const nlohmann::json& node,
                                                        std::optional<double> lastReschedule,
                                                        double now, double holdSeconds,
                                                        double graceSeconds,
                                                        std::string_view install) {
  if (!RescheduleAction::hasTaint(node)) {
    const auto* labels =
        node.is_object() && node.contains("metadata") && node["metadata"].is_object()
            ? &node["metadata"]
            : nullptr;
    const bool labelled = labels && labels->contains("labels") && (*labels)["labels"].is_object() &&
                          (*labels)["labels"].contains(actions::kTaintedNodeLabel);
    return labelled ? Verdict::kDropLabel : Verdict::kNothing;
  }
  if (!actions::nodeUnderMemoryPressure(node)) return Verdict::kReleasePressureOver;
  if (lastReschedule && now - *lastReschedule < holdSeconds) return Verdict::kKeep;
  if (!RescheduleAction::taintedBy(node, install)) return Verdict::kKeep;
  // A taint with no readable timeAdded is judged by the reschedules alone.
  if (auto added = RescheduleAction::taintAdded(node); added && now - *added < graceSeconds)
    return Verdict::kKeep;
  return Verdict::kReleaseUnneeded;
}

std::map<std::string, double> NodeTaintReconciler::recentReschedules() const {
  std::map<std::string, double> out;
  for (const auto& inc : d_.incidents->list()) {
    if (inc->node.empty()) continue;
    std::vector<actions::JournalEntry> reschedules;
    for (auto& e : actions::IncidentJournal::parse(inc->status))
      if (e.action == RescheduleAction::kName) reschedules.push_back(std::move(e));
    const auto times = actions::effectiveAttempts(reschedules);
    for (double t : times) {
      auto [it, fresh] = out.emplace(inc->node, t);
      if (!fresh && t > it->second) it->second = t;
    }
  }
  return out;
}

runtime::ReconcileResult NodeTaintReconciler::reconcile(const std::string&) {
  const double now = toSeconds(d_.clock->now());
  const auto reschedules = recentReschedules();

  // The labelled nodes, page by page; then the nodes of reschedules not among them.
  std::vector<nlohmann::json> nodes;
  std::set<std::string> seen;
  kube::ListOptions o;
  o.labelSelector = actions::kTaintedNodeLabel;
  o.timeout = d_.timeout;
  const kube::ResourceRef all{
      .group = "", .version = "v1", .resource = "nodes", .ns = "", .name = "", .subresource = ""};
  do {
    auto page = d_.api->list(all, o);
    if (!page) return runtime::ReconcileResult::retry(page.error());
    for (auto& n : page->items) {
      seen.insert(actions::stringAt(n, "/metadata/name"));
      nodes.push_back(std::move(n));
    }
    o.continueToken = page->continueToken;
  } while (!o.continueToken.empty());
  for (const auto& [name, when] : reschedules) {
    if (seen.count(name)) continue;
    auto n = d_.api->get(actions::nodeRef(name));
    if (!n) {
      if (n.error().code != 404)
        LG_LOG(warn, "cannot read node", {{"node", name}, {"error", n.error().message}});
      continue;
    }
    nodes.push_back(std::move(*n));
  }

  for (const auto& n : nodes) {
    const std::string name = actions::stringAt(n, "/metadata/name");
    auto r = reschedules.find(name);
    const auto verdict =
        judge(n, r == reschedules.end() ? std::nullopt : std::optional<double>(r->second), now,
              d_.holdSeconds, d_.graceSeconds, d_.install);
    if (verdict == Verdict::kNothing || verdict == Verdict::kKeep) continue;
    // kDropLabel too: release() leaves every other taint as it is and takes the label off.
    auto st = RescheduleAction::release(*d_.api, n, d_.timeout);
    if (!st) {
      LG_LOG(warn, "cannot release node", {{"node", name}, {"error", st.error().message}});
      continue;
    }
    if (verdict == Verdict::kReleasePressureOver)
      LG_LOG(info, "memory pressure over: node taint removed", {{"node", name}});
    else if (verdict == Verdict::kReleaseUnneeded)
      LG_LOG(info, "node taint removed: no recent reschedule off the node needs it",
             {{"node", name}});
  }
  return runtime::ReconcileResult::after(d_.every);
}

}  // namespace lg::reconcile
