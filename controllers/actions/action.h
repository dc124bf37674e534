#pragma once
// An action of a playbook (restart, rollback, ...): a plugin the ActionRegistry finds by the
// name a LeakPolicy step uses. An action owns everything about itself: its name, its params
// (checkParams when the policy is parsed; its own struct Params read in prepare/run), its
// traits (what the planner and the budgets need to know of it) and what it does. The policy
// parser, the planner, the executor and the reconcilers know no action by name. Adding one takes
// its file pair, one line in default_actions.cpp and its params in the CRD schema.
//
// The PlaybookExecutor drives every action the same way:
//
//   prepare(ctx)  reads what it needs (never writes; a dry-run request at most) and says exactly
//                 what run() would do, or why it cannot happen now (kSkip: nothing was done,
//                 the step may be tried again later), or that reading failed (kFail).
//   run(ctx, plan) does it, once, after the executor journalled "Started". Returns the outcome.
//   verify(ctx)   after a crash between "Started" and the outcome: looks at the world and says
//                 whether the side effect happened (kDone), did not (kNotDone: the step is
//                 journalled Failed and retried after the cooldown like any failed attempt), or
//                 cannot be told (kUnknown, the default: the step counts as done and is never
//                 repeated blindly).
//
// In Observe mode and for dry-run steps only prepare() is called: its description is what the
// incident records as Observed. Every API call passes ctx.timeout (house rule 6); nothing the
// cluster sends may throw out of an action. Actions hold no per-incident state: one instance
// serves every incident, from the executor's thread(s) (so they must be thread-safe; the ones
// here are stateless).

#include <chrono>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "controllers/policy/leak_policy.h"
#include "operator/kube/api_client.h"
#include "operator/kube/permission.h"

namespace lg::actions {

// The pod (and what is around it) an incident is about.
struct ActionTarget {
  std::string ns;
  std::string podName, podUid, node, container;
  std::string resource;      // memory, fds, threads
  std::string workloadKind;  // Deployment, StatefulSet, DaemonSet, ReplicaSet, Job or ""
  std::string workloadName;
  std::string workloadRevision;  // pod-template-hash / controller-revision-hash of the pod
  std::string incidentName, incidentUid;
  std::string policyName, policyUid;
  std::string summary;  // "memory +3.1Mi/min, limit reached in 41m", for notes and annotations
};

struct ActionContext {
  kube::ApiClient* api = nullptr;
  const policy::PlaybookStep* step = nullptr;
  const ActionTarget* target = nullptr;
  double now = 0;                            // seconds since the epoch (injected clock)
  std::chrono::milliseconds timeout{10000};  // per API call
  // Workload revisions this leak has been seen in (from the policy's incidents): rollback does
  // not go back to one of these.
  std::set<std::string> leakingRevisions;
  // This install of LeakGuard (its Lease, "leakguard-system/leakguard-controller"): what it
  // marks as its own (the tainted-node label). "": unnamed.
  std::string install;
  // Waits between the tries of a request that may be repeated safely (an eviction naming the
  // pod's uid); null: no wait (tests).
  std::function<void(std::chrono::milliseconds)> pause;
};

struct ActionPlan {
  enum class Kind { kGo, kSkip, kFail };
  Kind kind = Kind::kGo;
  // kGo: what run() will do ("evict pod shop/checkout-1 through the Eviction API");
  // kSkip/kFail: why not.
  std::string message;
  nlohmann::json data;  // what run() needs, as prepare() found it

  static ActionPlan go(std::string what, nlohmann::json data = nullptr) {
    return {Kind::kGo, std::move(what), std::move(data)};
  }
  static ActionPlan skip(std::string why) { return {Kind::kSkip, std::move(why), nullptr}; }
  static ActionPlan fail(std::string why) { return {Kind::kFail, std::move(why), nullptr}; }
};

struct ActionResult {
  enum class Outcome { kSucceeded, kFailed, kSkipped };
  Outcome outcome = Outcome::kSucceeded;
  std::string message;      // one line for the journal and the Event
  std::string eventReason;  // on success: "PodRestarted", ...; "" for none
  // An entry for status.diagnostics (captureDiagnostics), or null.
  nlohmann::json diagnostics;

  static ActionResult succeeded(std::string reason, std::string msg) {
    return {Outcome::kSucceeded, std::move(msg), std::move(reason), nullptr};
  }
  static ActionResult failed(std::string msg) {
    return {Outcome::kFailed, std::move(msg), "", nullptr};
  }
  // Tried, and not possible (the cluster cannot resize, the pod is gone): not tried again.
  static ActionResult notPossible(std::string msg) {
    return {Outcome::kSkipped, std::move(msg), "", nullptr};
  }
};

// What the planner, the executor and the budgets need to know of an action.
struct ActionTraits {
  // Changes the workload (resizeLimits, restart, reschedule, rollback): of the eligible
  // escalations not yet done only the highest runs, within the policy's budgets, and the
  // incident is Mitigating while it runs. Not an escalation: a record step, run once per incident
  // when eligible (captureDiagnostics, event, annotate, enforceQuota).
  bool escalation = false;
  // Takes a pod away (restart, reschedule): counts against maxUnavailable and as a restart.
  bool takesPodAway = false;
  // Keeps evidence (captureDiagnostics): runs first, also whenever an escalation is about to run,
  // and the escalations wait while it is under way.
  bool evidence = false;
  // Its success is what the incident shows as lastAction (false for event and annotate, which
  // only record).
  bool shownAsLastAction = true;
};

struct Verification {
  enum class Kind { kDone, kNotDone, kUnknown };
  Kind kind = Kind::kUnknown;
  std::string message;  // what was seen, for the journal

  static Verification done(std::string m) { return {Kind::kDone, std::move(m)}; }
  static Verification notDone(std::string m) { return {Kind::kNotDone, std::move(m)}; }
};

class Action {
 public:
  virtual ~Action() = default;
  // The name a step's `action` gives: "restart".
  virtual std::string_view name() const = 0;
  virtual ActionTraits traits() const = 0;
  // What it asks of the API server: every call it can make, as RBAC rules. The controller's
  // Role is the union of the enabled actions' rules and its own (`leakguard rbac`); the actions'
  // unit tests fail on a call that is not declared here.
  virtual std::vector<kube::Permission> permissions() const = 0;
  // Records, through `params` (the step's params object), what is wrong with them.
  virtual void checkParams(const policy::FieldReader& params) const { (void)params; }
  // The step evicts its pod through the Eviction API (a disruption claimed on the workload
  // first; controllers/actions/disruption_ledger.h).
  virtual bool evictsPod(const policy::PlaybookStep& step) const {
    (void)step;
    return false;
  }
  virtual ActionPlan prepare(const ActionContext& ctx) const = 0;
  virtual ActionResult run(const ActionContext& ctx, const ActionPlan& plan) const = 0;
  // Slow (an HTTP GET to the pod, bounded by its timeout): the executor runs it on its
  // BackgroundRunner, off the reconcile workers, and the escalations wait for it.
  virtual bool runsInBackground() const { return false; }
  // `started`: when the attempt in doubt was journalled Started. An error: the world could not
  // be read now (asked again at the next reconcile).
  virtual Result<Verification> verify(const ActionContext& ctx, double started) const {
    (void)ctx;
    (void)started;
    return Verification{};
  }
};

// A step's params as the action's `Params` struct reads them (`static Params read(const
// policy::FieldReader&)`). They were checked when the policy was parsed: issues are dropped.
template <class Params>
Params readParams(const policy::PlaybookStep& step) {
  std::vector<policy::ValidationIssue> checkedAtParse;
  return Params::read(policy::FieldReader(step.params, "params", checkedAtParse));
}

}  // namespace lg::actions
