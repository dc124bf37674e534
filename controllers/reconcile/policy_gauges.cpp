#include "controllers/reconcile/policy_gauges.h"

#include <set>
#include <utility>

namespace lg::reconcile {
namespace {

// Two series per sized (workload, container): room for 2048 of them before the overflow series.
constexpr std::size_t kMaxSizingSeries = 4096;

}  // namespace

PolicyGauges::PolicyGauges(runtime::MetricsRegistry& registry)
    : ready_(registry.gauge("leakguard_policy_ready",
                            "1 when the LeakPolicy is valid and watching its pods, 0 when not",
                            {"namespace", "policy"})),
      pods_(registry.gauge("leakguard_policy_pods",
                           "Pods the LeakPolicy covers: matched, leaking (a current finding), "
                           "unobserved (running with no usage sample from any source)",
                           {"namespace", "policy", "state"})),
      incidents_(registry.gauge("leakguard_policy_incidents",
                                "The LeakPolicy's incidents by state (Open, Mitigating, "
                                "Resolved, Abandoned)",
                                {"namespace", "policy", "state"})),
      escalations_(registry.gauge("leakguard_policy_escalations_last_hour",
                                  "Escalating playbook steps the LeakPolicy started in the last "
                                  "hour (what its maxActionsPerHour budget counts)",
                                  {"namespace", "policy"})),
      budget_(registry.gauge("leakguard_policy_escalation_budget",
                             "The LeakPolicy's spec.budgets.maxActionsPerHour",
                             {"namespace", "policy"})),
      recommended_(registry.gauge(
          "leakguard_recommended_memory_bytes",
          "Memory LeakGuard recommends for a container of a workload the LeakPolicy covers "
          "(bound: request or limit; status.recommendations says how); none while it leaks",
          {"namespace", "policy", "workload", "container", "bound"}, kMaxSizingSeries)) {}

void PolicyGauges::record(const Report& r) {
  ready_.labels({r.ns, r.name}).set(r.ready ? 1 : 0);
  pods_.labels({r.ns, r.name, "matched"}).set(r.matched);
  pods_.labels({r.ns, r.name, "leaking"}).set(r.leaking);
  pods_.labels({r.ns, r.name, "unobserved"}).set(r.unobserved);
  escalations_.labels({r.ns, r.name}).set(r.escalationsLastHour);
  budget_.labels({r.ns, r.name}).set(r.escalationBudget);
  for (const std::string_view state : kIncidentStates) {
    const auto it = r.incidents.find(std::string(state));
    incidents_.labels({r.ns, r.name, std::string(state)})
        .set(it == r.incidents.end() ? 0 : it->second);
  }
}

void PolicyGauges::recordSizing(const std::string& ns, const std::string& name,
                                const std::vector<Sizing>& sizes) {
  std::set<std::pair<std::string, std::string>> keep;
  for (const auto& s : sizes) {
    recommended_.labels({ns, name, s.workload, s.container, "request"}).set(s.requestBytes);
    recommended_.labels({ns, name, s.workload, s.container, "limit"}).set(s.limitBytes);
    keep.insert({s.workload, s.container});
  }
  recommended_.removeIf([&](const std::vector<std::string>& v) {
    return v[0] == ns && v[1] == name && !keep.contains({v[2], v[3]});
  });
}

void PolicyGauges::forget(const std::string& ns, const std::string& name) {
  ready_.remove({ns, name});
  escalations_.remove({ns, name});
  budget_.remove({ns, name});
  const auto ofPolicy = [&](const std::vector<std::string>& v) {
    return v[0] == ns && v[1] == name;
  };
  pods_.removeIf(ofPolicy);
  incidents_.removeIf(ofPolicy);
  recommended_.removeIf(ofPolicy);
}

}  // namespace lg::reconcile
