#pragma once
// Reconciles one LeakPolicy (key "ns/name"), level-triggered and idempotent:
//   1. reads the policy, the pods of its namespace and the detectors' current findings from
//      the caches (never from an event's payload);
//   2. opens a LeakIncident for each current finding on a covered container that has none
//      (deterministic names: a second run finds the first run's incident), refreshes the
//      evidence of open ones, resolves those whose container is gone or healthy again, and
//      prunes the oldest resolved ones beyond spec.incidents.keep;
//   3. writes status (observedGeneration, matchedPods, leakingPods, Ready and
//      MetricsAvailable conditions, and the memory sizing of the covered workloads:
//      recommendations, SizingAdvisor) only when it changed, and the policy's gauges
//      (PolicyGauges: ready, matched, leaking and unobserved pods, recommended sizes).
//   4. with an executor, carries out the policy's playbook for each incident still open, worst
//      leaker (soonest exhaustion) first: the planner chooses within the budgets (pods of the
//      workload not Ready count as unavailable), the PlaybookExecutor acts and journals. (The
//      NodeTaintReconciler releases the nodes reschedule tainted.)
// Thread-safe as Reconciler requires (never two reconciles of the same key at once).

#include <functional>
#include <mutex>
#include <set>
#include <string>

#include "controllers/actions/playbook_executor.h"
#include "controllers/reconcile/cached_objects.h"
#include "controllers/reconcile/incident_builder.h"
#include "controllers/reconcile/pod_selection.h"
#include "controllers/reconcile/policy_gauges.h"
#include "controllers/reconcile/sizing_advisor.h"
#include "controllers/reconcile/unobserved_pods.h"
#include "controllers/reconcile/usage_hub.h"
#include "controllers/sources/metrics_server_source.h"
#include "operator/kube/api_client.h"
#include "operator/kube/events.h"
#include "operator/runtime/pod_projection.h"
#include "operator/runtime/reconciler.h"
#include "operator/runtime/store.h"

namespace lg::reconcile {

struct PolicyReconcilerDeps {
  kube::ApiClient* api = nullptr;
  Clock* clock = nullptr;
  // What the series say (the controller's hub, the detecting agents' findings, or both).
  const UsageReader* hub = nullptr;
  runtime::Store<PolicyObject>* policies = nullptr;
  runtime::Store<runtime::PodProjection>* pods = nullptr;  // index "namespace"
  runtime::Store<ReplicaSetObject>* replicaSets = nullptr;
  runtime::Store<IncidentObject>* incidents = nullptr;          // index "policy" ("ns/policy")
  kube::EventRecorder* events = nullptr;                        // optional
  std::function<sources::MetricsServerStatus()> metricsStatus;  // optional
  std::chrono::seconds resync{30};
  // How long after its last confirmation an open incident with no finding is resolved.
  double resolveAfterSeconds = 3600;
  // Carries playbooks out; without one the reconciler only records incidents.
  actions::PlaybookExecutor* executor = nullptr;
  // The actions' traits, for the budgets read from the incidents' journals (the executor's).
  const actions::ActionRegistry* actions = nullptr;
  // The policies' state as metrics (optional).
  PolicyGauges* gauges = nullptr;
  // How long a covered running pod may go without any usage sample before it counts as
  // unobserved.
  double unobservedAfterSeconds = 300;
};

class PolicyReconciler : public runtime::Reconciler {
 public:
  explicit PolicyReconciler(PolicyReconcilerDeps deps);
  runtime::ReconcileResult reconcile(const std::string& key) override;

  // Keys of the policies that cover a pod (for event handlers and finding callbacks).
  std::vector<std::string> policiesCovering(const runtime::PodProjection& pod) const;

 private:
  struct Counts {
    int matched = 0;
    int leaking = 0;
    int unobserved = 0;  // running, and no usage sample from any source (UnobservedPods)
  };
  // An open incident with a current finding, to act on.
  struct Work {
    std::string incident;
    const runtime::PodProjection* pod = nullptr;
    std::string container;
    detect::Resource resource = detect::Resource::kMemory;
    detect::Finding finding;
    std::string summary;
  };
  // Creates the incident of a newly confirmed leak and returns its name: <pod>-<date>, or the
  // next free <pod>-<date>-N when that name is another policy's incident (never adopted).
  struct Created {
    std::string name;
    bool adopted = false;  // it was there already, this policy's incident of the same series
  };
  Result<Created> createIncident(const PolicyObject& p, const IncidentInput& in, double now,
                                 std::set<std::string>& names);
  // The incidents of a policy against its pods' current findings: a finding with no open
  // incident opens one (recordFinding, openIncident, announceLeak), one with an open incident
  // refreshes its evidence; an open incident with no finding is closed when its pod or
  // container is gone or its growth stopped (closeFinished, whyFinished); a closed one's steps
  // left in doubt are verified (settleClosed); the oldest closed ones beyond
  // spec.incidents.keep are deleted (pruneIncidents). `work`: the open incidents
  // with a finding, to act on.
  Status syncIncidents(const PolicyObject& p,
                       const std::vector<const runtime::PodProjection*>& pods, double now,
                       Counts& counts, std::vector<Work>& work);
  // One syncIncidents() pass.
  struct Sync {
    const PolicyObject& p;
    double now = 0;
    std::vector<std::shared_ptr<const IncidentObject>> mine;  // the policy's incidents
    std::set<std::string> names;                              // taken incident names
    // Open incidents by (pod uid, container, resource), and those with a current finding.
    std::map<std::tuple<std::string, std::string, std::string>, const IncidentObject*> open;
    std::set<std::tuple<std::string, std::string, std::string>> seen;
  };
  Result<Work> recordFinding(Sync& sync, const runtime::PodProjection& pod,
                             const Workload& workload, const SeriesKey& sk, const SeriesView& view);
  Result<std::string> openIncident(Sync& sync, const IncidentInput& in, const SeriesView& view);
  // The status that opens incident `name` (state Open, the evidence), the log line and the
  // LeakConfirmed Event.
  Status writeOpening(const PolicyObject& p, const IncidentInput& in, const SeriesView& view,
                      const std::string& name);
  // How long an incident created with no status yet is left to its creator.
  static constexpr double kOpeningSeconds = 60;
  // LeakConfirmed on the pod, its owner and the policy.
  void announceLeak(const PolicyObject& p, const IncidentInput& in, const std::string& incident,
                    const nlohmann::json& evidence);
  Status closeFinished(const Sync& sync, const std::vector<const runtime::PodProjection*>& pods);
  // Why an open incident with no current finding is over, and the words for status.after
  // ("pod x is gone", "container app restarted", "growth stopped").
  struct Finished {
    enum class Why { kNotYet, kPodGone, kContainerRestarted, kGrowthStopped };
    Why why = Why::kNotYet;
    std::string text;
  };
  Finished whyFinished(const IncidentObject& inc, bool podExists, double now) const;
  // Closed incidents with a step still in doubt: the executor has the action verify it.
  Status settleClosed(const Sync& sync);
  Status pruneIncidents(const Sync& sync);
  // status.recommendations and recommendationsOmitted; with !enabled, neither.
  struct Sizes {
    bool enabled = false;
    nlohmann::json items = nlohmann::json::array();
    std::size_t omitted = 0;  // entries beyond the status' bound
  };
  Status writeStatus(const PolicyObject& p, const Counts& counts, const Sizes& sizes, double now);
  // status.recommendations (SizingAdvisor), recomputed every quarter of the policy's minHistory
  // (a minute to 15 minutes) and when its generation or its open memory incidents change; the
  // recommended sizes go to the gauges too.
  Sizes sizing(const PolicyObject& p, const std::vector<const runtime::PodProjection*>& covered,
               double now);

  // Carries the playbook out on each incident of `work`, worst leaker first, with the budgets
  // the caches know of (availability, history) and each pod's node pressure (when a step asks
  // for it), through the executor.
  Status act(const PolicyObject& p, std::vector<Work> work,
             const std::vector<std::shared_ptr<const runtime::PodProjection>>& nsPods, double now);
  // Pods per workload key ("Deployment/checkout", "Pod/<name>"), Ready ones, desired replicas.
  struct Avail {
    int pods = 0;
    int ready = 0;
    int desired = 0;
    std::set<std::string> readyUids;
  };
  std::map<std::string, Avail> availability(
      const PolicyObject& p,
      const std::vector<std::shared_ptr<const runtime::PodProjection>>& nsPods, double now) const;
  // What the policy's incidents' journals say: escalations started (keyed "<incident>/<step>"),
  // per policy and per workload; restarts per workload; the revisions the leak was seen in.
  struct History {
    std::map<std::string, double> policyActions;
    std::map<std::string, std::map<std::string, double>> workloadActions;
    std::map<std::string, std::vector<double>> restarts;
    std::map<std::string, std::set<std::string>> leakingRevisions;
  };
  History history(const PolicyObject& p) const;
  // Whether a node reports MemoryPressure, read once per act() and only when `needed`.
  class NodePressure {
   public:
    NodePressure(kube::ApiClient& api, bool needed) : api_(api), needed_(needed) {}
    bool of(const std::string& node);

   private:
    kube::ApiClient& api_;
    bool needed_;
    std::map<std::string, bool> known_;
  };
  actions::IncidentCase incidentCase(const PolicyObject& p, const Work& w, const Workload& wl,
                                     const Avail& a, History& hist, NodePressure& pressure,
                                     double now) const;
  // status.lastAction: the newest finished action of the policy's incidents, or null.
  nlohmann::json lastAction(const PolicyObject& p) const;
  ReplicaSetLookup rsLookup() const;

  const actions::ActionRegistry& actions() const;

  // The policy's gauges (PolicyGauges), when there are gauges.
  void reportGauges(const PolicyObject& p, const Counts& counts, double now) const;
  // Covered running pods with no usage sample (counted into the gauges).
  int countUnobserved(const PolicyObject& p,
                      const std::vector<const runtime::PodProjection*>& covered, double now);

  PolicyReconcilerDeps d_;
  UnobservedPods unobserved_;
  struct Sized {
    double at = 0;
    int64_t generation = 0;
    KnownLeaks leaks;
    Sizes sizes;
  };
  std::mutex sizedMu_;  // reconciles of different policies run at once
  std::map<std::string, Sized> sized_;
};

}  // namespace lg::reconcile
