#include "controllers/actions/playbook_planner.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "controllers/policy/duration.h"

namespace lg::actions {
namespace {

bool holds(const policy::StepCondition& w, const PlanInput& in, std::string& why) {
  std::string parts;
  auto add = [&](const std::string& s) { parts += (parts.empty() ? "" : ", ") + s; };
  if (w.exhaustionWithinSeconds) {
    if (in.exhaustionSeconds > *w.exhaustionWithinSeconds) return false;
    add("limit reached in " + policy::formatDuration(in.exhaustionSeconds) + " (within " +
        policy::formatDuration(*w.exhaustionWithinSeconds) + ")");
  }
  if (w.confidenceAtLeast) {
    if (in.confidence < *w.confidenceAtLeast) return false;
  }
  if (w.restartsAtLeast) {
    const double window = w.withinSeconds.value_or(3600);
    const auto n = std::count_if(in.restartTimes.begin(), in.restartTimes.end(),
                                 [&](double t) { return in.now - t <= window; });
    if (n < *w.restartsAtLeast) return false;
    add(std::to_string(n) + " restarts within " + policy::formatDuration(window));
  }
  if (w.nodeMemoryPressure) {
    if (in.nodeMemoryPressure != *w.nodeMemoryPressure) return false;
    if (*w.nodeMemoryPressure) add("node under memory pressure");
  }
  why = parts.empty() ? "leak confirmed" : parts;
  return true;
}

std::size_t countSince(const std::vector<double>& times, double since) {
  return static_cast<std::size_t>(
      std::count_if(times.begin(), times.end(), [&](double t) { return t > since; }));
}

}  // namespace

StepHistory stepHistory(const std::string& step, const std::vector<JournalEntry>& journal) {
  StepHistory h;
  bool open = false;  // a Started whose outcome has not been read yet, and when it started
  double openTime = 0;
  for (const auto& e : journal) {
    if (e.step != step) continue;
    if (e.outcome == Outcome::kStarted) {
      if (open) h.effectiveAttempts.push_back(openTime);  // two Starts: the first's outcome lost
      open = true;
      openTime = e.time;
    } else if (e.outcome == Outcome::kSucceeded) {
      h.done = true;
      h.effectiveAttempts.push_back(open ? openTime : e.time);
      open = false;
    } else if (e.outcome == Outcome::kObserved) {
      h.done = true;
    } else if (e.outcome == Outcome::kFailed) {
      ++h.failures;
      h.lastFailure = std::max(h.lastFailure, e.time);
      open = false;
    } else if (e.outcome == Outcome::kSkipped) {
      open = false;  // after a Started: it could not be carried out; before: nothing ran
    }
  }
  if (open) {  // no outcome: under way, or cut short by a crash; never repeated blindly
    h.done = true;
    h.effectiveAttempts.push_back(openTime);
    h.inDoubtSince = openTime;
  }
  return h;
}

std::vector<double> effectiveAttempts(const std::vector<JournalEntry>& journal,
                                      const ActionRegistry& actions, bool ActionTraits::*which) {
  std::vector<JournalEntry> those;
  for (const auto& e : journal)
    if (actions.traits(e.action).*which) those.push_back(e);
  return effectiveAttempts(those);
}

std::vector<double> effectiveAttempts(const std::vector<JournalEntry>& journal) {
  std::vector<double> out;
  std::set<std::string> seen;
  for (const auto& e : journal) {
    if (!seen.insert(e.step).second) continue;
    const auto h = stepHistory(e.step, journal);
    out.insert(out.end(), h.effectiveAttempts.begin(), h.effectiveAttempts.end());
  }
  return out;
}

int maxUnavailable(const policy::Budgets& b, int pods) {
  if (b.maxUnavailablePercent)
    return std::max(1, static_cast<int>(std::floor(pods * *b.maxUnavailablePercent / 100.0)));
  return std::max(1, b.maxUnavailable);
}

namespace {

// The highest eligible escalation not yet done (to run, or to skip while it cools down).
std::optional<Decision> highestEscalation(const PlanInput& in, const ActionRegistry& actions) {
  const auto& spec = *in.spec;
  const double cooldown = spec.budgets.cooldownSeconds;
  std::optional<Decision> escalation;
  for (std::size_t i = 0; i < spec.playbook.size(); ++i) {
    const auto& step = spec.playbook[i];
    const ActionTraits traits = actions.traits(step.action);
    if (!traits.escalation) continue;
    std::string why;
    if (!holds(step.when, in, why)) continue;
    const StepHistory st = stepHistory(step.name, in.journal);
    if (st.done) continue;
    if (st.failures >= kMaxAttempts) continue;
    escalation = Decision{.step = i,
                          .stepName = step.name,
                          .action = step.action,
                          .traits = traits,
                          .verdict = Decision::Verdict::kRun,
                          .dryRun = spec.mode == policy::Mode::kObserve || step.dryRun,
                          .reason = why};
    if (st.failures > 0 && in.now - st.lastFailure < cooldown) {
      escalation->verdict = Decision::Verdict::kSkip;
      escalation->reason = "failed " + std::to_string(st.failures) + " time(s); next attempt in " +
                           policy::formatDuration(cooldown - (in.now - st.lastFailure));
    }
  }
  return escalation;
}

// Whether a diagnostics capture started within evidenceWaitSeconds is still in doubt.
bool evidenceUnderWay(const PlanInput& in, const ActionRegistry& actions) {
  bool underWay = false;
  for (const auto& step : in.spec->playbook) {
    if (!actions.traits(step.action).evidence) continue;
    const double since = stepHistory(step.name, in.journal).inDoubtSince;
    underWay |= since > 0 && in.now - since < in.evidenceWaitSeconds;
  }
  return underWay;
}

// The budgets an escalation about to run spends, or why it must wait. Dry runs spend none:
// they change nothing.
void spendBudgets(Decision& escalation, const PlanInput& in) {
  const auto& budgets = in.spec->budgets;
  const double cooldown = budgets.cooldownSeconds;
  const auto perHour = countSince(in.policyActionTimes, in.now - 3600);
  const double lastWorkload =
      in.workloadActionTimes.empty()
          ? -1e300
          : *std::max_element(in.workloadActionTimes.begin(), in.workloadActionTimes.end());
  const int maxUn = maxUnavailable(budgets, in.workloadPods);
  std::string skip;
  if (static_cast<int>(perHour) >= budgets.maxActionsPerHour) {
    skip = "budget spent: " + std::to_string(perHour) + "/" +
           std::to_string(budgets.maxActionsPerHour) + " actions this hour";
  } else if (in.now - lastWorkload < cooldown) {
    skip = "cooldown: the workload was acted on " + policy::formatDuration(in.now - lastWorkload) +
           " ago (cooldown " + policy::formatDuration(cooldown) + ")";
  } else if (escalation.traits.takesPodAway && in.workloadUnavailable >= maxUn) {
    skip = "maxUnavailable " + std::to_string(maxUn) + ": " +
           std::to_string(in.workloadUnavailable) + " of " + std::to_string(in.workloadPods) +
           " pods are unavailable";
  } else if (!in.globalRateAllows) {
    skip = "the operator's global action rate is spent";
  }
  if (!skip.empty()) {
    escalation.verdict = Decision::Verdict::kSkip;
    escalation.reason = skip;
  } else {
    escalation.budget = std::to_string(perHour + 1) + "/" +
                        std::to_string(budgets.maxActionsPerHour) + " this hour";
    escalation.reason += "; budget " + escalation.budget;
  }
}

}  // namespace

std::vector<Decision> planPlaybook(const PlanInput& in) {
  std::vector<Decision> out;
  const auto& spec = *in.spec;
  const bool observe = spec.mode == policy::Mode::kObserve;
  const double cooldown = spec.budgets.cooldownSeconds;
  static const ActionRegistry kNoActions;
  const ActionRegistry& actions = in.actions ? *in.actions : kNoActions;

  std::optional<Decision> escalation = highestEscalation(in, actions);
  if (escalation && escalation->verdict == Decision::Verdict::kRun &&
      evidenceUnderWay(in, actions)) {
    escalation->verdict = Decision::Verdict::kSkip;
    escalation->reason = "waiting for the diagnostics capture under way";
  }
  if (escalation && escalation->verdict == Decision::Verdict::kRun && !escalation->dryRun)
    spendBudgets(*escalation, in);
  const bool escalating = escalation && escalation->verdict == Decision::Verdict::kRun;

  // Record steps, in order; evidence first when an escalation is about to run.
  for (std::size_t i = 0; i < spec.playbook.size(); ++i) {
    const auto& step = spec.playbook[i];
    const ActionTraits traits = actions.traits(step.action);
    if (traits.escalation) continue;
    const StepHistory st = stepHistory(step.name, in.journal);
    if (st.done || st.failures >= kMaxAttempts) continue;
    if (st.failures > 0 && in.now - st.lastFailure < cooldown) continue;
    std::string why;
    const bool eligible = holds(step.when, in, why);
    const bool evidenceBeforeEscalation = traits.evidence && escalating;
    if (!eligible && !evidenceBeforeEscalation) continue;
    if (!eligible) why = "before " + escalation->action;
    out.push_back(Decision{.step = i,
                           .stepName = step.name,
                           .action = step.action,
                           .traits = traits,
                           .verdict = Decision::Verdict::kRun,
                           .dryRun = observe || step.dryRun,
                           .reason = why});
  }
  // The evidence first among the record steps.
  std::stable_partition(out.begin(), out.end(),
                        [](const Decision& d) { return d.traits.evidence; });
  if (escalation) out.push_back(*escalation);
  return out;
}

}  // namespace lg::actions
