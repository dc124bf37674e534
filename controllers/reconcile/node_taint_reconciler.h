#pragma once
// Releases LeakGuard's memory-pressure taint from the node's side (README, "Playbook actions"):
// whatever became of the policy, the incident, the eviction or the controller that put it on,
// a taint is never left behind. One key ("nodes"), looked at again every `every`:
//   1. the nodes labelled leakguard.io/memory-pressure-taint (reschedule writes the label with
//      the taint, so one LIST with a label selector finds them, not a LIST of every node), and
//      the nodes named in incidents' reschedule entries (taints of earlier versions, unlabelled);
//   2. for each, judge(): the taint stays while the node is under memory pressure AND a
//      reschedule off it is recent (started or succeeded within `hold`, from any incident in
//      the cache) or the taint itself is younger than `grace` (its reschedule may not be in the
//      cache yet), or the taint is another install's (its label names another Lease: that
//      install's incidents are not in this cache). Otherwise taint and label are taken off:
//      once the pressure is over, whoever's taint it is.
// A failed eviction (Started then Failed) needs no taint: the retry taints again.
// Decision pure (judge), I/O in reconcile; leader only (it is a controller of the manager).

#include <chrono>
#include <map>
#include <optional>
#include <string>

#include "controllers/reconcile/cached_objects.h"
#include "operator/kube/api_client.h"
#include "operator/runtime/reconciler.h"
#include "operator/runtime/store.h"
#include "operator/util/clock.h"

namespace lg::reconcile {

struct NodeTaintReconcilerDeps {
  kube::ApiClient* api = nullptr;
  Clock* clock = nullptr;
  runtime::Store<IncidentObject>* incidents = nullptr;
  std::chrono::seconds every{30};
  double holdSeconds = 600;   // a reschedule keeps its node's taint this long, under pressure
  double graceSeconds = 120;  // a taint this young stays (its journal entry may still lag)
  std::chrono::milliseconds timeout{10000};  // per API call
  std::string install;                       // this install (ActionContext::install)
};

class NodeTaintReconciler : public runtime::Reconciler {
 public:
  static constexpr const char* kKey = "nodes";

  enum class Verdict {
    kNothing,  // no LeakGuard taint, no label
    kKeep,     // under pressure, a reschedule needs it
    kReleasePressureOver,
    kReleaseUnneeded,  // under pressure, but no reschedule off it is recent (and it is ours)
    kDropLabel,        // the taint is gone (taken off by hand): the label goes too
  };
  // `lastReschedule`: the newest reschedule attempt off this node that may have evicted
  // (started and not known to have failed), in seconds since the epoch.
  // `install`: this install (a taint of another one is kept while the pressure lasts).
  static Verdict judge(const nlohmann::json& node, std::optional<double> lastReschedule, double now,
                       double holdSeconds, double graceSeconds, std::string_view install = "");

  explicit NodeTaintReconciler(NodeTaintReconcilerDeps deps) : d_(deps) {}
  runtime::ReconcileResult reconcile(const std::string& key) override;

 private:
  // Node name -> newest reschedule attempt off it, from the incidents in the cache.
  std::map<std::string, double> recentReschedules() const;

  NodeTaintReconcilerDeps d_;
};

}  // namespace lg::reconcile
