#pragma once
// Carries a playbook out for one open LeakIncident: reads the incident's journal (quorum read),
// asks the planner (pure) what to do now, and does it through the ActionRegistry's actions,
// journalling every step in the incident's status.actions:
//   - a step to run for real: "Started" (with what it will do and the budget it uses) is
//     written BEFORE the side effect, the outcome (Succeeded / Failed / Skipped = not possible)
//     after. If "Started" cannot be written, nothing is done. A crash in between leaves
//     "Started", which the planner never repeats blindly: once it is inDoubtAfterSeconds old,
//     the action verifies it (the pod gone? the ConfigMap there?) and the executor journals
//     Succeeded, or Failed so that it is tried again after the cooldown.
//   - Observe mode and dry-run steps: prepare() only; "Observed" with exactly what would have
//     been done. Nothing in the cluster changes.
//   - a step whose budget is spent or that cannot happen now (a PodDisruptionBudget, no
//     healthy revision): "Skipped" with the reason, and an ActionSkipped Event.
// Events (LeakConfirmed, DiagnosticsCaptured, LimitsResized, PodRestarted, PodRescheduled,
// RolledBack, QuotaEnforced, ActionSkipped, ActionFailed, ActionObserved) go to the pod, its
// owner and the policy; every outcome counts in leakguard_actions_total{action,outcome}.
//
// Budgets that the caches cannot see yet (our own last writes) are kept in memory: escalations
// of the last two hours per policy and workload, and pods evicted in the last two minutes, so
// a reconcile right after an action does not act again on a stale cache. A global rate limit
// (escalations per minute, whole operator) sits on top of the policies' budgets.
// Thread-safe: reconciles of different policies may run at once.

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "controllers/actions/action_registry.h"
#include "controllers/actions/background_runner.h"
#include "controllers/actions/incident_journal.h"
#include "controllers/actions/playbook_planner.h"
#include "operator/kube/api_client.h"
#include "operator/kube/events.h"

namespace lg::actions {

struct ExecutorOptions {
  kube::ApiClient* api = nullptr;
  const ActionRegistry* registry = nullptr;
  kube::EventRecorder* events = nullptr;  // optional
  // Counts an outcome (leakguard_actions_total{action,outcome}); optional.
  std::function<void(const std::string& action, const std::string& outcome)> count;
  std::chrono::milliseconds apiTimeout{10000};
  int globalEscalationsPerMinute = 10;
  // A step journalled Started this long ago with no outcome is verified by its action (see
  // Action::verify): longer than any action runs (diagnostics: 60 s at most).
  double inDoubtAfterSeconds = 90;
  // This install's identity (ActionContext::install).
  std::string install;
  // Waits between the quick tries of an eviction (ActionContext::pause); null: no wait.
  std::function<void(std::chrono::milliseconds)> pause;
  // Runs the actions that say runsInBackground() (captureDiagnostics) off the reconcile
  // workers; null: inline. Its jobs use this executor: stop it before the executor goes.
  BackgroundRunner* background = nullptr;
  // Called with a policy's key when a background step of it has finished (to reconcile it).
  std::function<void(const std::string& policyKey)> wake;
  // True while this process holds the leader Lease; asked right before every side effect
  // (execute() returns an error instead). Null: always (no leader election).
  std::function<bool()> leading;
};

struct IncidentCase {
  const policy::LeakPolicySpec* spec = nullptr;
  std::string policyKey;    // "ns/name"
  std::string workloadKey;  // "Deployment/checkout" or "Pod/<name>"
  ActionTarget target;
  // The planner's input, journal and global rate left to the executor; policyActionTimes and
  // workloadActionTimes as the caches see them, keyed "<incident>/<step>" (merged with what
  // the executor remembers).
  PlanInput plan;
  std::map<std::string, double> policyActions;
  std::map<std::string, double> workloadActions;
  std::set<std::string> leakingRevisions;
  // Uids of the workload's pods the caches count available (Ready, not going away): with the
  // disruptions other controllers claimed on the workload (DisruptionLedger), for
  // maxUnavailable across controllers.
  std::set<std::string> workloadReadyPods;
  // The incident's journal as the cache has it, if known. When the planner has nothing to do
  // even on it, the incident is not read again (journals only grow: a cache that lags never
  // shows a step done that is not).
  std::optional<std::vector<JournalEntry>> cachedJournal;
};

struct ExecutionReport {
  int escalations = 0;                // escalations started for real
  bool tookPodAway = false;           // an eviction succeeded
  std::vector<std::string> outcomes;  // "captureDiagnostics:Succeeded", ... (logs, tests)
};

class PlaybookExecutor {
 public:
  explicit PlaybookExecutor(ExecutorOptions opts);

  // Error: the journal could not be read or written (retry the reconcile); the actions already
  // journalled stay done.
  Result<ExecutionReport> execute(const IncidentCase& c);

  // An incident closed (its pod gone, its growth stopped) with steps still in doubt (Started,
  // no outcome, older than inDoubtAfterSeconds): their actions look at the world and the
  // journal says what they saw (Succeeded, or Failed and not tried again), so no bare Started
  // is left behind. Error: the journal could not be read or written.
  Status settleClosed(const IncidentCase& c);
  // Whether the journal has a step settleClosed would look at now.
  bool hasStepsInDoubt(const policy::LeakPolicySpec& spec, const std::vector<JournalEntry>& journal,
                       double now) const;

  // True when this executor evicted the pod less than `withinSeconds` ago (the pod cache may
  // still show it Ready).
  bool recentlyTakenAway(const std::string& podUid, double now, double withinSeconds = 120) const;

 private:
  struct Recent {
    std::string policyKey, workloadKey, key;  // key: "<incident>/<step>"
    double time = 0;
  };

  // One execute(): the incident, its journal as read, the escalations it reserved and not yet
  // started (given back when it ends), what it reports.
  struct Pass {
    const IncidentCase& c;
    ActionTarget target;  // with the incident's uid
    IncidentJournal& journal;
    double now = 0;
    std::set<std::string> reserved;  // "<incident>/<step>"
    ExecutionReport report;
    bool evidencePending = false;  // a background step started: the escalations wait for it
  };
  // The steps of execute(), in order:
  // Nothing to plan even on the cached journal: the incident is not read again.
  bool nothingToDo(const IncidentCase& c) const;
  // The planner's decisions on the journal as read, with the budgets this process spent since
  // the caches were filled; the escalations to run are reserved at once (pass.reserved).
  std::vector<Decision> planAndReserve(Pass& pass);
  // One decision: skipped, observed (a dry run), failed in prepare(), queued in the
  // background, or claimed (an eviction), journalled Started, run and journalled. An error:
  // the journal could not be written, or this process no longer leads.
  Status carryOut(Pass& pass, const Decision& d);
  void unreserve(Pass& pass, const Decision& d);
  Status recordSkip(Pass& pass, const Decision& d, const std::string& why);
  Status recordPrepareFailed(Pass& pass, const Decision& d, const ActionPlan& plan);
  Status recordObserved(Pass& pass, const Decision& d, const ActionPlan& plan);
  // Queued on the BackgroundRunner (or one of the policy's is under way): true. False when the
  // queue is full: the step runs here.
  struct StepRun;
  bool startInBackground(Pass& pass, const Action& action, const policy::PlaybookStep& step,
                         const ActionPlan& plan, const StepRun& run, const JournalWrite& started);
  // maxUnavailable across controllers (DisruptionLedger): true when the eviction may go ahead;
  // false when another controller's disruptions hold it back (journalled Skipped).
  Result<bool> claimDisruption(Pass& pass, const Decision& d, const ActionContext& ctx);

  // Has the actions of the steps in doubt (Started, no outcome, older than inDoubtAfterSeconds)
  // look at the world, and journals what they saw: Succeeded, or Failed (tried again).
  // `closed`: the incident is closed, so a step found not done is not tried again.
  Status settleInDoubt(const IncidentCase& c, const ActionTarget& target, IncidentJournal& journal,
                       double now, ExecutionReport& report, bool closed = false);
  // One step carried out for real, as the outcome's journal entry and Events need it.
  struct StepRun {
    std::string policyKey, stepName;
    std::string action;
    ActionTraits traits;
    std::string budget;
    bool evictsPod = false;  // success takes the pod away (restart by eviction, reschedule)
    double now = 0;
  };
  // A background step's job: journals Started on a fresh read (unless the step is done or the
  // incident closed meanwhile, or this process no longer leads), runs it, journals the outcome,
  // and wakes the policy whatever happened.
  void runInBackground(const Action& action, const ActionPlan& plan, const StepRun& run,
                       const JournalWrite& started, const ActionTarget& target,
                       const policy::PlaybookStep& step, const std::set<std::string>& revisions);
  // Journals a step's outcome (one more try on a fresh read), counts it, logs it, emits its
  // Event. `report` is null for a background step.
  Status finish(const ActionTarget& t, IncidentJournal& journal, const StepRun& run,
                const ActionResult& result, ExecutionReport* report);
  void emit(const ActionTarget& t, kube::EventType type, const std::string& reason,
            const std::string& action, const std::string& note);
  void counted(const std::string& action, Outcome outcome);
  // Gives back the reservation of an escalation that did not start (if `key` is in reserved).
  void release(const std::string& key, double time, std::set<std::string>& reserved);

  ExecutorOptions o_;
  mutable std::mutex mu_;
  std::deque<Recent> recent_;                // escalations, oldest first
  std::deque<double> globalWindow_;          // escalation times in the last minute
  std::map<std::string, double> takenAway_;  // pod uid -> time
};

}  // namespace lg::actions
