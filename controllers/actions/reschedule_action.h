#pragma once
// reschedule: moves a leaking pod off a node under memory pressure, and keeps new pods off that
// node while the pressure lasts. The executor hands incidents over worst leaker first (soonest
// exhaustion), so the pods driving the pressure go first, one per budget.
//  prepare(): the node must report MemoryPressure=True; a dry-run eviction must be allowed.
//  run(): taints the node leakguard.io/memory-pressure:NoSchedule (once; the taint's timeAdded
//  says when), labels it leakguard.io/memory-pressure-taint in the same write (so that the
//  tainted nodes are found again by a label selector, whatever became of the incident), and
//  evicts the pod through the Eviction API.
// release() takes taint and label off again; the NodeTaintReconciler decides when. The taint is
// written with the node's resourceVersion, so a concurrent change of the node's taints is not
// lost (409: next time).

#include <optional>

#include "controllers/actions/action.h"

namespace lg::actions {

inline constexpr const char* kPressureTaintKey = "leakguard.io/memory-pressure";
inline constexpr const char* kTaintedNodeLabel = "leakguard.io/memory-pressure-taint";

class RescheduleAction final : public Action {
 public:
  static constexpr std::string_view kName = "reschedule";
  std::string_view name() const override { return kName; }
  ActionTraits traits() const override { return {.escalation = true, .takesPodAway = true}; }
  // Reads and taints the node (merge patch), claims the disruption on the pod's workload
  // (an annotation, merge patch) and evicts the pod through the Eviction API.
  std::vector<kube::Permission> permissions() const override {
    return {{"", "nodes", {"get", "patch"}, {}},
            {"", "pods", {"get"}, {}},
            {"", "pods/eviction", {"create"}, {}},
            {"apps", "deployments", {"get", "patch"}, {}},
            {"apps", "statefulsets", {"get", "patch"}, {}},
            {"apps", "daemonsets", {"get", "patch"}, {}}};
  }
  bool evictsPod(const policy::PlaybookStep& step) const override;
  ActionPlan prepare(const ActionContext& ctx) const override;
  ActionResult run(const ActionContext& ctx, const ActionPlan& plan) const override;
  Result<Verification> verify(const ActionContext& ctx, double started) const override;

  static bool hasTaint(const nlohmann::json& node);
  // When LeakGuard's taint was put on (its timeAdded), if the node has it and the time reads.
  static std::optional<double> taintAdded(const nlohmann::json& node);
  // The tainted-node label's value for an install ("leakguard-system.leakguard-controller"): a
  // label value (at most 63 of [A-Za-z0-9._-]); "true" for an unnamed one.
  static std::string installLabel(std::string_view install);
  // Whether the node's LeakGuard taint is this install's: its label names `install`, or names
  // no install ("true", or no label: a taint of an unnamed install or an earlier version).
  static bool taintedBy(const nlohmann::json& node, std::string_view install);
  // Removes LeakGuard's taint and label from the node object as read (409 if it changed since).
  static Status release(kube::ApiClient& api, const nlohmann::json& node,
                        std::chrono::milliseconds timeout);
};

}  // namespace lg::actions
