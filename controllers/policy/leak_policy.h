#pragma once
// The LeakPolicy spec as the operator uses it, parsed from the object the API server stored.
// The CRD's schema and CEL rules refuse most mistakes at `kubectl apply`; parseLeakPolicy checks
// everything again (an older CRD, a hand-edited object, a field the schema cannot express) and
// lists what it cannot use, field by field, instead of failing. Pure; thread-safe.

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "controllers/detect/resource.h"
#include "controllers/policy/action_catalog.h"
#include "controllers/policy/field_reader.h"
#include "controllers/policy/label_selector.h"
#include "controllers/policy/policy_schema.h"

namespace lg::policy {

enum class Mode { kObserve, kEnforce };
struct WorkloadRef {
  std::string kind;  // Deployment, StatefulSet, DaemonSet, ReplicaSet
  std::string name;
};

struct StepCondition {
  std::optional<double> exhaustionWithinSeconds;
  std::optional<double> confidenceAtLeast;
  std::optional<int> restartsAtLeast;
  std::optional<double> withinSeconds;
  std::optional<bool> nodeMemoryPressure;
};

struct PlaybookStep {
  // Its identity in the incidents' journals: as written (unique in the playbook), or for an
  // unnamed step "<action>-<hash of the step>" ("restart-3f9a1c"), stable across edits of other
  // steps.
  std::string name;
  std::string action;   // the name of a registered action: "restart"
  bool dryRun = false;  // record what would be done, change nothing
  StepCondition when;
  // As written (an object; {} when absent), checked by the action when the policy was parsed.
  // The action reads its own params (controllers/actions/*_action.h says which).
  nlohmann::json params = nlohmann::json::object();
};

// The defaults below are the CRD's (schema::, generated from it): written there, once.
struct Budgets {
  int maxUnavailable = schema::kBudgetsMaxUnavailableDefault;  // a count, or...
  std::optional<int> maxUnavailablePercent;  // ...a percentage of the workload's pods
  int maxActionsPerHour = schema::kBudgetsMaxActionsPerHourDefault;
  double cooldownSeconds = schema::kBudgetsCooldownDefaultSeconds;
};

struct Detection {
  double margin = schema::kDetectionMarginDefault;
  double horizonSeconds = schema::kDetectionHorizonDefaultSeconds;
  double minGrowthSeconds = schema::kDetectionMinGrowthDefaultSeconds;
  bool operator==(const Detection&) const = default;
};

// How the policy sizes the memory of the containers it covers (status.recommendations).
struct Recommendations {
  bool enabled = schema::kRecommendationsEnabledDefault;
  // percent: the request is this quantile of the settled usage...
  int requestQuantile = schema::kRecommendationsRequestQuantileDefault;
  // ...plus this; the limit is the settled peak plus this
  int headroomPercent = schema::kRecommendationsHeadroomPercentDefault;
  // a pod's usage must span this long before it is sized
  double minHistorySeconds = schema::kRecommendationsMinHistoryDefaultSeconds;
};
struct LeakPolicySpec {
  std::optional<LabelSelector> selector;
  std::optional<WorkloadRef> workloadRef;
  std::vector<std::string> containers;
  Mode mode = Mode::kObserve;
  std::vector<detect::Resource> resources{detect::Resource::kMemory};
  Detection detection;
  std::vector<PlaybookStep> playbook;
  Budgets budgets;
  int keepIncidents = schema::kIncidentsKeepDefault;
  Recommendations recommendations;

  bool watches(detect::Resource r) const;
  bool watchesContainer(const std::string& container) const;
};

struct ParsedPolicy {
  LeakPolicySpec spec;
  // What could not be used. A policy with issues is not Ready and LeakGuard does not act on it.
  std::vector<ValidationIssue> issues;
  bool usable() const { return issues.empty(); }
  // "spec.mode: must be Observe or Enforce; spec.playbook[0].params.port: required"
  std::string summary() const;
};

// `object` is the whole LeakPolicy as the API server returned it; `actions` says which actions a
// step may name and checks their params.
ParsedPolicy parseLeakPolicy(const nlohmann::json& object, const ActionCatalog& actions);

}  // namespace lg::policy
