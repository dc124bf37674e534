#pragma once
// Chooses what a playbook does for one open incident, now. A pure function of (the policy, the
// finding, the incident's journal, the workload's history and budgets, now): no I/O, unit-tested
// on its own; the reconciler carries the decisions out and journals them.
//
// The ladder: steps whose condition holds are eligible. The planner knows the actions only by
// their traits (ActionTraits, from the ActionRegistry).
//  - Escalation steps (resizeLimits, restart, reschedule, rollback) change the workload; of the
//    eligible ones not yet done in this incident, only the highest (latest in the list) is taken,
//    and only if the budgets allow it: the policy's actions per hour, the workload's cooldown,
//    maxUnavailable for steps that take a pod away, the operator's global rate. A step whose
//    budget is spent is skipped, with the reason.
//  - Record steps (captureDiagnostics, event, annotate, enforceQuota) run once per incident when
//    eligible; evidence steps (captureDiagnostics) also run, first, whenever an escalation is
//    about to run, so the evidence is kept before the pod goes.
// A step is done once the journal holds it as Succeeded or Observed, or as Started with no
// outcome after it (an action cut short by a crash is not repeated blindly: the executor has
// the action verify it, and journals Succeeded, or Failed so that it is tried again). An attempt
// that failed (Started then Failed, or Failed before it started) is tried again after the cooldown,
// at most three attempts in all; one that could not be carried out (Started then Skipped: the
// pod went, a PodDisruptionBudget refused) is tried again when next eligible, within the
// budgets, and is not a failure.

#include <optional>
#include <string>
#include <vector>

#include "controllers/actions/action_registry.h"
#include "controllers/actions/step_outcome.h"
#include "controllers/policy/leak_policy.h"

namespace lg::actions {

// Attempts of a step that fail (Started then Failed, or Failed before it started) before it is
// given up.
inline constexpr int kMaxAttempts = 3;

struct JournalEntry {
  std::string step;    // the step's name
  std::string action;  // the action's name
  Outcome outcome = Outcome::kStarted;
  double time = 0;
};

struct PlanInput {
  const policy::LeakPolicySpec* spec = nullptr;
  const ActionRegistry* actions = nullptr;  // the traits of the steps' actions
  double now = 0;
  // The current forecast (already counted down to `now`) and its confidence.
  double exhaustionSeconds = 0;
  double confidence = 0;
  bool nodeMemoryPressure = false;
  // Restarts of this workload for this leak (LeakGuard's or OOM kills), any order.
  std::vector<double> restartTimes;
  // This incident's journal.
  std::vector<JournalEntry> journal;
  // Budgets: pods of the workload and how many are unavailable (not Ready or going away).
  int workloadPods = 1;
  int workloadUnavailable = 0;
  // Times of escalation actions (Started/Succeeded) of this policy across its incidents, and of
  // this workload.
  std::vector<double> policyActionTimes;
  std::vector<double> workloadActionTimes;
  bool globalRateAllows = true;
  // A captureDiagnostics step Started less than this long ago with no outcome is under way (it
  // runs in the background): the escalations wait for it, so the evidence is kept first.
  double evidenceWaitSeconds = 90;
};

struct Decision {
  enum class Verdict { kRun, kSkip };
  std::size_t step = 0;
  std::string stepName;
  std::string action;
  ActionTraits traits;
  Verdict verdict = Verdict::kRun;
  bool dryRun = false;  // Observe mode or the step's dryRun: record what would be done
  std::string reason;   // why it runs, or why it is skipped
  std::string budget;   // for an escalation that runs for real: "1/4 this hour"
};

// What the journal says of one step (its entries in journal order, those of other steps
// ignored).
struct StepHistory {
  bool done = false;  // Succeeded, Observed, or an attempt with no outcome (in doubt)
  int failures = 0;   // attempts that ended Failed
  double lastFailure = 0;
  // Attempts that may have changed something: Started and not followed by Failed or Skipped
  // (succeeded, or the outcome is not known). Their times, for restart counts.
  std::vector<double> effectiveAttempts;
  // The step's last entry is Started: when (0: it is not). Under way, or cut short by a crash;
  // the executor asks the action to verify it once it is older than any action can run.
  double inDoubtSince = 0;
};
StepHistory stepHistory(const std::string& step, const std::vector<JournalEntry>& journal);
// The effectiveAttempts of every step of the journal, each step once.
std::vector<double> effectiveAttempts(const std::vector<JournalEntry>& journal);
// Those of the steps whose action has the trait `which` (&ActionTraits::escalation).
std::vector<double> effectiveAttempts(const std::vector<JournalEntry>& journal,
                                      const ActionRegistry& actions, bool ActionTraits::*which);

std::vector<Decision> planPlaybook(const PlanInput& in);

// maxUnavailable of the policy for a workload of `pods` pods (a percentage rounds down, at
// least 1).
int maxUnavailable(const policy::Budgets& b, int pods);

}  // namespace lg::actions
