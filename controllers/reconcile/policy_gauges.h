#pragma once
// The policies' state as metrics, for alerts that name the policy:
//   leakguard_policy_ready{namespace,policy}        1 when the policy is valid and watching
//   leakguard_policy_pods{namespace,policy,state}   covered pods: matched, leaking, unobserved
//   leakguard_policy_incidents{namespace,policy,state}  its incidents: Open, Mitigating,
//                                                   Resolved, Abandoned (kept ones, as cached)
//   leakguard_policy_escalations_last_hour{namespace,policy}  escalations started in the hour
//   leakguard_policy_escalation_budget{namespace,policy}      its maxActionsPerHour
//   leakguard_recommended_memory_bytes{namespace,policy,workload,container,bound}
//                                                   status.recommendations' sizes (bound:
//                                                   request or limit); none for a leak
// (unobserved: running, covered, and no usage sample from any source; UnobservedPods). A
// policy's series go when the policy goes, so the families hold the live policies only.
// Thread-safe (the registry's families are).

#include <array>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "operator/runtime/metrics_registry.h"

namespace lg::reconcile {

class PolicyGauges {
 public:
  struct Report {
    std::string ns, name;
    bool ready = false;
    int matched = 0, leaking = 0, unobserved = 0;
    // Incidents by state; a state not named counts 0.
    std::map<std::string, int> incidents;
    // Escalations started in the last hour, and spec.budgets.maxActionsPerHour.
    int escalationsLastHour = 0, escalationBudget = 0;
  };
  static constexpr std::array<std::string_view, 4> kIncidentStates = {"Open", "Mitigating",
                                                                      "Resolved", "Abandoned"};

  explicit PolicyGauges(runtime::MetricsRegistry& registry);

  void record(const Report& r);

  // A recommended size (SizingAdvisor) of one (workload, container).
  struct Sizing {
    std::string workload, container;
    double requestBytes = 0, limitBytes = 0;
  };
  // Replaces the policy's recommended sizes with `sizes`.
  void recordSizing(const std::string& ns, const std::string& name,
                    const std::vector<Sizing>& sizes);
  void forget(const std::string& ns, const std::string& name);

 private:
  runtime::GaugeFamily& ready_;
  runtime::GaugeFamily& pods_;
  runtime::GaugeFamily& incidents_;
  runtime::GaugeFamily& escalations_;
  runtime::GaugeFamily& budget_;
  runtime::GaugeFamily& recommended_;
};

}  // namespace lg::reconcile
