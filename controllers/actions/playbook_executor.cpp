#include "controllers/actions/playbook_executor.h"

#include <algorithm>

#include "controllers/actions/action_support.h"
#include "controllers/actions/disruption_ledger.h"
#include "controllers/actions/event_fanout.h"
#include "controllers/actions/incident_journal.h"
#include "operator/util/logger.h"

namespace lg::actions {
namespace {

constexpr double kRememberSeconds = 2 * 3600.0;

// prepare()/run() of a plugin, with anything it throws (a field of an unexpected type in what
// the cluster sent) turned into a failure: the operator must not crash on what it reads.
ActionPlan safePrepare(const Action& a, const ActionContext& ctx) {
  try {
    return a.prepare(ctx);
  } catch (const std::exception& e) {
    return ActionPlan::fail(std::string("unexpected object from the API: ") + e.what());
  }
}

ActionResult safeRun(const Action& a, const ActionContext& ctx, const ActionPlan& plan) {
  try {
    return a.run(ctx, plan);
  } catch (const std::exception& e) {
    return ActionResult::failed(std::string("unexpected object from the API: ") + e.what());
  }
}

Result<Verification> safeVerify(const Action& a, const ActionContext& ctx, double started) {
  try {
    return a.verify(ctx, started);
  } catch (const std::exception& e) {
    return makeError(std::string("unexpected object from the API: ") + e.what(), 0);
  }
}

// What a Failed entry adds to its reason: which attempt it was, and what comes next.
std::string attemptNote(const std::string& step, const std::vector<JournalEntry>& journal) {
  const int n = stepHistory(step, journal).failures + 1;
  return " (attempt " + std::to_string(n) + " of " + std::to_string(kMaxAttempts) +
         (n >= kMaxAttempts ? ": not tried again)" : ": tried again after the cooldown)");
}

// The steps whose last entry is a Started older than `after` seconds: cut short, or under way in
// a process that is gone.
std::vector<std::pair<const policy::PlaybookStep*, double>> stepsInDoubt(
    const policy::LeakPolicySpec& spec, const std::vector<JournalEntry>& journal, double now,
    double after) {
  std::vector<std::pair<const policy::PlaybookStep*, double>> out;  // the step, Started when
  for (const auto& step : spec.playbook) {
    const double since = stepHistory(step.name, journal).inDoubtSince;
    if (since > 0 && now - since >= after) out.emplace_back(&step, since);
  }
  return out;
}

}  // namespace

Status PlaybookExecutor::settleInDoubt(const IncidentCase& c, const ActionTarget& target,
                                       IncidentJournal& journal, double now,
                                       ExecutionReport& report, bool closed) {
  for (const auto& [step, since] :
       stepsInDoubt(*c.spec, journal.entries(), now, o_.inDoubtAfterSeconds)) {
    const Action* action = o_.registry ? o_.registry->find(step->action) : nullptr;
    if (!action) continue;
    const ActionContext ctx{.api = o_.api,
                            .step = step,
                            .target = &target,
                            .now = now,
                            .timeout = o_.apiTimeout,
                            .leakingRevisions = c.leakingRevisions,
                            .install = o_.install,
                            .pause = o_.pause};
    auto v = safeVerify(*action, ctx, since);
    if (!v) return v.error();
    if (v->kind == Verification::Kind::kUnknown) continue;
    const bool done = v->kind == Verification::Kind::kDone;
    const std::string& actionName = step->action;
    JournalWrite w{.step = step->name,
                   .action = step->action,
                   .outcome = done ? Outcome::kSucceeded : Outcome::kFailed,
                   .time = now,
                   .message = (done ? "found done after the controller was cut short: "
                                    : "cut short before its side effect: ") +
                              v->message +
                              (done     ? ""
                               : closed ? " (the incident is closed: not tried again)"
                                        : attemptNote(step->name, journal.entries()))};
    if (done && action->traits().shownAsLastAction) w.lastAction = actionName;
    if (auto st = journal.append(w); !st) return st.error();
    counted(step->action, w.outcome);
    report.outcomes.push_back(actionName + ":" + std::string(name(w.outcome)));
    LG_LOG(info, "an action cut short was verified",
           {{"policy", c.policyKey},
            {"incident", target.incidentName},
            {"step", step->name},
            {"outcome", std::string(name(w.outcome))},
            {"seen", v->message}});
  }
  return okStatus();
}

PlaybookExecutor::PlaybookExecutor(ExecutorOptions opts) : o_(std::move(opts)) {}

bool PlaybookExecutor::hasStepsInDoubt(const policy::LeakPolicySpec& spec,
                                       const std::vector<JournalEntry>& journal, double now) const {
  return !stepsInDoubt(spec, journal, now, o_.inDoubtAfterSeconds).empty();
}

Status PlaybookExecutor::settleClosed(const IncidentCase& c) {
  const auto& t = c.target;
  auto journal = IncidentJournal::load(*o_.api, t.ns, t.incidentName, o_.apiTimeout);
  if (!journal) return journal.error().code == 404 ? okStatus() : Status(journal.error());
  const std::string state = journal->state();
  if (state == "Open" || state == "Mitigating") return okStatus();  // reopened: execute() does
  ActionTarget target = t;
  target.incidentUid = stringAt(journal->object(), "/metadata/uid");
  ExecutionReport report;
  return settleInDoubt(c, target, *journal, c.plan.now, report, /*closed=*/true);
}

bool PlaybookExecutor::recentlyTakenAway(const std::string& podUid, double now,
                                         double withinSeconds) const {
  std::lock_guard g(mu_);
  auto it = takenAway_.find(podUid);
  return it != takenAway_.end() && now - it->second < withinSeconds;
}

void PlaybookExecutor::counted(const std::string& action, Outcome outcome) {
  if (o_.count) o_.count(action, std::string(name(outcome)));
}

void PlaybookExecutor::emit(const ActionTarget& t, kube::EventType type, const std::string& reason,
                            const std::string& action, const std::string& note) {
  if (!o_.events || reason.empty()) return;
  std::string act = action;
  if (!act.empty()) act[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(act[0])));
  recordOnPodOwnerAndPolicy(*o_.events,
                            {.ns = t.ns,
                             .podName = t.podName,
                             .podUid = t.podUid,
                             .workloadKind = t.workloadKind,
                             .workloadName = t.workloadName,
                             .policyName = t.policyName,
                             .policyUid = t.policyUid},
                            type, reason, act, note);
}

void PlaybookExecutor::release(const std::string& key, double time,
                               std::set<std::string>& reserved) {
  if (!reserved.erase(key)) return;
  std::lock_guard g(mu_);
  for (auto it = recent_.rbegin(); it != recent_.rend(); ++it) {
    if (it->key == key && it->time == time) {
      recent_.erase(std::next(it).base());
      break;
    }
  }
  auto w = std::find(globalWindow_.rbegin(), globalWindow_.rend(), time);
  if (w != globalWindow_.rend()) globalWindow_.erase(std::next(w).base());
}

Result<ExecutionReport> PlaybookExecutor::execute(const IncidentCase& c) {
  ExecutionReport report;
  if (nothingToDo(c)) return report;
  const auto& t = c.target;
  auto journal = IncidentJournal::load(*o_.api, t.ns, t.incidentName, o_.apiTimeout);
  if (!journal) {
    if (journal.error().code == 404) return report;
    return journal.error();
  }
  const std::string state = journal->state();
  if (state != "Open" && state != "Mitigating") return report;
  Pass pass{.c = c, .target = t, .journal = *journal, .now = c.plan.now};
  pass.target.incidentUid = stringAt(journal->object(), "/metadata/uid");
  if (auto st = settleInDoubt(c, pass.target, *journal, pass.now, pass.report); !st)
    return st.error();
  // Escalations reserved but not (yet) started: given back however this function returns.
  struct ReleaseAll {
    PlaybookExecutor* self;
    Pass* pass;
    ~ReleaseAll() {
      for (const auto& k : std::set<std::string>(pass->reserved))
        self->release(k, pass->now, pass->reserved);
    }
  } releaseAll{this, &pass};
  for (const auto& d : planAndReserve(pass))
    if (auto st = carryOut(pass, d); !st) return st.error();
  return pass.report;
}

bool PlaybookExecutor::nothingToDo(const IncidentCase& c) const {
  if (!c.cachedJournal) return false;
  PlanInput pre = c.plan;
  pre.spec = c.spec;
  pre.actions = o_.registry;
  pre.journal = *c.cachedJournal;
  return planPlaybook(pre).empty() &&
         stepsInDoubt(*c.spec, pre.journal, pre.now, o_.inDoubtAfterSeconds).empty();
}

std::vector<Decision> PlaybookExecutor::planAndReserve(Pass& pass) {
  const IncidentCase& c = pass.c;
  PlanInput in = c.plan;
  in.spec = c.spec;
  in.actions = o_.registry;
  in.journal = pass.journal.entries();
  in.evidenceWaitSeconds = o_.inDoubtAfterSeconds;
  std::lock_guard g(mu_);
  const double now = in.now;
  while (!recent_.empty() && now - recent_.front().time > kRememberSeconds)
    recent_.pop_front();
  while (!globalWindow_.empty() && now - globalWindow_.front() >= 60)
    globalWindow_.pop_front();
  for (auto it = takenAway_.begin(); it != takenAway_.end();)
    it = now - it->second > kRememberSeconds ? takenAway_.erase(it) : std::next(it);
  // The budgets as the caches see them, with what this process started since.
  auto policyActions = c.policyActions;
  auto workloadActions = c.workloadActions;
  for (const auto& r : recent_) {
    if (r.policyKey == c.policyKey) policyActions.emplace(r.key, r.time);
    if (r.workloadKey == c.workloadKey) workloadActions.emplace(r.key, r.time);
  }
  in.policyActionTimes.clear();
  in.workloadActionTimes.clear();
  for (const auto& [k, v] : policyActions)
    in.policyActionTimes.push_back(v);
  for (const auto& [k, v] : workloadActions)
    in.workloadActionTimes.push_back(v);
  in.globalRateAllows = o_.globalEscalationsPerMinute <= 0 ||
                        static_cast<int>(globalWindow_.size()) < o_.globalEscalationsPerMinute;
  auto decisions = planPlaybook(in);
  // Reserve the budget now, so a concurrent reconcile of another policy sees it.
  for (const auto& d : decisions) {
    if (d.verdict != Decision::Verdict::kRun || d.dryRun || !d.traits.escalation) continue;
    const std::string key = c.target.incidentName + "/" + d.stepName;
    recent_.push_back({c.policyKey, c.workloadKey, key, now});
    globalWindow_.push_back(now);
    pass.reserved.insert(key);
  }
  return decisions;
}

Status PlaybookExecutor::carryOut(Pass& pass, const Decision& d) {
  if (d.verdict == Decision::Verdict::kSkip) return recordSkip(pass, d, d.reason);
  // A background step (the evidence) started in this pass: the escalations wait for it; the
  // capture's end wakes the policy, and it is planned again.
  if (pass.evidencePending && d.traits.escalation) {
    unreserve(pass, d);
    return okStatus();
  }
  const Action* action = o_.registry ? o_.registry->find(d.action) : nullptr;
  if (!action) {
    unreserve(pass, d);
    return recordSkip(pass, d, "no action " + d.action + " is registered");
  }
  const auto& step = pass.c.spec->playbook[d.step];
  const ActionContext ctx{.api = o_.api,
                          .step = &step,
                          .target = &pass.target,
                          .now = pass.now,
                          .timeout = o_.apiTimeout,
                          .leakingRevisions = pass.c.leakingRevisions,
                          .install = o_.install,
                          .pause = o_.pause};
  const ActionPlan plan = safePrepare(*action, ctx);
  if (plan.kind != ActionPlan::Kind::kGo) unreserve(pass, d);
  if (plan.kind == ActionPlan::Kind::kSkip) return recordSkip(pass, d, plan.message);
  if (plan.kind == ActionPlan::Kind::kFail) return recordPrepareFailed(pass, d, plan);
  if (d.dryRun) return recordObserved(pass, d, plan);

  const StepRun run{.policyKey = pass.c.policyKey,
                    .stepName = d.stepName,
                    .action = d.action,
                    .traits = d.traits,
                    .budget = d.budget,
                    .evictsPod = action->evictsPod(step),
                    .now = pass.now};
  JournalWrite started{.step = d.stepName,
                       .action = d.action,
                       .outcome = Outcome::kStarted,
                       .time = pass.now,
                       .message = plan.message + " (" + d.reason + ")",
                       .budget = d.budget};
  if (d.traits.escalation) started.state = "Mitigating";
  if (action->runsInBackground() && o_.background &&
      startInBackground(pass, *action, step, plan, run, started))
    return okStatus();

  // A side effect is this controller's only while it holds the Lease: one that lost it (a new
  // leader may be acting already) stops before the next one.
  if (o_.leading && !o_.leading()) {
    unreserve(pass, d);
    return makeError(
        "no longer the leader: " + d.action + " on " + pass.target.incidentName + " not started",
        0);
  }
  if (run.evictsPod) {
    auto claimed = claimDisruption(pass, d, ctx);
    if (!claimed || !*claimed) return claimed ? okStatus() : Status(claimed.error());
  }

  // For real: Started before the side effect.
  if (auto st = pass.journal.append(started); !st) return st.error();
  pass.reserved.erase(pass.target.incidentName + "/" + d.stepName);  // spent
  counted(d.action, Outcome::kStarted);
  if (d.traits.escalation) ++pass.report.escalations;
  LG_LOG(info, "playbook action started",
         {{"policy", pass.c.policyKey},
          {"incident", pass.target.incidentName},
          {"step", d.stepName},
          {"action", d.action},
          {"what", plan.message}});
  const ActionResult result = safeRun(*action, ctx, plan);
  return finish(pass.target, pass.journal, run, result, &pass.report);
}

void PlaybookExecutor::unreserve(Pass& pass, const Decision& d) {
  release(pass.target.incidentName + "/" + d.stepName, pass.now, pass.reserved);
}

Status PlaybookExecutor::recordSkip(Pass& pass, const Decision& d, const std::string& why) {
  auto written = pass.journal.skip({.step = d.stepName,
                                    .action = d.action,
                                    .outcome = Outcome::kSkipped,
                                    .time = pass.now,
                                    .message = why});
  if (!written) return written.error();
  if (*written) {
    emit(pass.target, kube::EventType::kWarning, "ActionSkipped", d.action,
         d.action + " not taken: " + why);
    counted(d.action, Outcome::kSkipped);
  }
  pass.report.outcomes.push_back(d.action + ":Skipped");
  return okStatus();
}

Status PlaybookExecutor::recordPrepareFailed(Pass& pass, const Decision& d,
                                             const ActionPlan& plan) {
  const std::string why = plan.message + attemptNote(d.stepName, pass.journal.entries());
  if (auto st = pass.journal.append({.step = d.stepName,
                                     .action = d.action,
                                     .outcome = Outcome::kFailed,
                                     .time = pass.now,
                                     .message = why});
      !st)
    return st.error();
  emit(pass.target, kube::EventType::kWarning, "ActionFailed", d.action, d.action + ": " + why);
  counted(d.action, Outcome::kFailed);
  pass.report.outcomes.push_back(d.action + ":Failed");
  return okStatus();
}

Status PlaybookExecutor::recordObserved(Pass& pass, const Decision& d, const ActionPlan& plan) {
  const std::string why = pass.c.spec->mode == policy::Mode::kObserve ? "Observe mode" : "dry run";
  const std::string msg = why + ": would " + plan.message + " (" + d.reason + ")";
  if (auto st = pass.journal.append({.step = d.stepName,
                                     .action = d.action,
                                     .outcome = Outcome::kObserved,
                                     .time = pass.now,
                                     .message = msg});
      !st)
    return st.error();
  emit(pass.target, kube::EventType::kNormal, "ActionObserved", d.action, msg);
  counted(d.action, Outcome::kObserved);
  pass.report.outcomes.push_back(d.action + ":Observed");
  return okStatus();
}

bool PlaybookExecutor::startInBackground(Pass& pass, const Action& action,
                                         const policy::PlaybookStep& step, const ActionPlan& plan,
                                         const StepRun& run, const JournalWrite& started) {
  // A background action (the evidence) runs off the reconcile workers, one at a time per
  // policy: the job journals Started when it begins and the outcome when it ends, then wakes
  // the policy. Until then the escalations wait (here, and in the planner while it runs).
  pass.evidencePending = true;
  if (!o_.background->canStart(pass.c.policyKey)) return true;  // one under way already
  const bool queued = o_.background->tryStart(
      pass.c.policyKey, [this, a = &action, plan, run, started, target = pass.target, step,
                         revisions = pass.c.leakingRevisions] {
        runInBackground(*a, plan, run, started, target, step, revisions);
      });
  if (queued) {
    pass.report.outcomes.push_back(run.action + ":Queued");
    return true;
  }
  pass.evidencePending = false;  // the queue filled up since canStart(): here, then
  return false;
}

Result<bool> PlaybookExecutor::claimDisruption(Pass& pass, const Decision& d,
                                               const ActionContext& ctx) {
  // maxUnavailable across controllers: the disruption is claimed on the workload first.
  const IncidentCase& c = pass.c;
  const DisruptionRequest req{
      .podUid = pass.target.podUid,
      .incident = pass.target.incidentName,
      .readyPods = c.workloadReadyPods,
      .unavailable = c.plan.workloadUnavailable,
      .maxUnavailable = maxUnavailable(c.spec->budgets, c.plan.workloadPods),
      .now = pass.now,
      .ttlSeconds = 120};
  auto claim = DisruptionLedger::claim(ctx, req);
  if (!claim && claim.error().code != 403) {
    unreserve(pass, d);
    return claim.error();
  }
  if (!claim) {  // no write access to the workload: the caches' count alone holds
    LG_LOG(warn, "cannot claim the disruption on the workload",
           {{"workload", c.workloadKey}, {"error", claim.error().message}});
    return true;
  }
  if (claim->granted) return true;
  unreserve(pass, d);
  if (auto st = recordSkip(pass, d, claim->why); !st) return st.error();
  return false;
}

void PlaybookExecutor::runInBackground(const Action& action, const ActionPlan& plan,
                                       const StepRun& run, const JournalWrite& started,
                                       const ActionTarget& target, const policy::PlaybookStep& step,
                                       const std::set<std::string>& revisions) {
  struct Wake {
    const ExecutorOptions& o;
    const std::string& key;
    ~Wake() {
      if (o.wake) o.wake(key);
    }
  } wake{o_, run.policyKey};
  if (o_.leading && !o_.leading()) return;
  auto journal = IncidentJournal::load(*o_.api, target.ns, target.incidentName, o_.apiTimeout);
  if (!journal || (journal->state() != "Open" && journal->state() != "Mitigating") ||
      stepHistory(run.stepName, journal->entries()).done)
    return;  // gone, closed, or done meanwhile: the next reconcile plans again
  if (auto st = journal->append(started); !st) return;
  counted(run.action, Outcome::kStarted);
  LG_LOG(info, "playbook action started",
         {{"policy", run.policyKey},
          {"incident", target.incidentName},
          {"step", run.stepName},
          {"action", run.action},
          {"what", plan.message},
          {"background", true}});
  const ActionContext ctx{.api = o_.api,
                          .step = &step,
                          .target = &target,
                          .now = run.now,
                          .timeout = o_.apiTimeout,
                          .leakingRevisions = revisions,
                          .install = o_.install,
                          .pause = o_.pause};
  const ActionResult result = safeRun(action, ctx, plan);
  (void)finish(target, *journal, run, result, nullptr);
}

Status PlaybookExecutor::finish(const ActionTarget& t, IncidentJournal& journal, const StepRun& run,
                                const ActionResult& result, ExecutionReport* report) {
  const std::string& actionName = run.action;
  Outcome outcome = Outcome::kSucceeded;
  if (result.outcome == ActionResult::Outcome::kFailed) outcome = Outcome::kFailed;
  if (result.outcome == ActionResult::Outcome::kSkipped) outcome = Outcome::kSkipped;
  JournalWrite done{.step = run.stepName,
                    .action = run.action,
                    .outcome = outcome,
                    .time = run.now,
                    .message = outcome == Outcome::kFailed
                                   ? result.message + attemptNote(run.stepName, journal.entries())
                                   : result.message,
                    .budget = run.budget,
                    .diagnostics = result.diagnostics};
  if (outcome == Outcome::kSucceeded && run.traits.shownAsLastAction) done.lastAction = actionName;
  auto st = journal.append(done);
  if (!st) {
    // The side effect happened and "Started" keeps it from happening again; one more try
    // on a fresh read for the outcome, then give up on recording it.
    auto again = IncidentJournal::load(*o_.api, t.ns, t.incidentName, o_.apiTimeout);
    if (again) {
      journal = std::move(*again);
      st = journal.append(done);
    }
    if (!st)
      LG_LOG(warn, "cannot journal an action's outcome",
             {{"incident", t.incidentName}, {"step", run.stepName}, {"error", st.error().message}});
  }
  counted(run.action, outcome);
  if (report) report->outcomes.push_back(actionName + ":" + std::string(name(outcome)));
  LG_LOG(info, "playbook action done",
         {{"policy", run.policyKey},
          {"incident", t.incidentName},
          {"step", run.stepName},
          {"action", actionName},
          {"outcome", outcome},
          {"message", result.message}});
  if (outcome == Outcome::kSucceeded) {
    std::string note = result.message;
    if (!run.budget.empty()) note += "; budget " + run.budget;
    emit(t, kube::EventType::kNormal, result.eventReason, run.action, note);
    if (run.evictsPod) {
      if (report) report->tookPodAway = true;
      std::lock_guard g(mu_);
      takenAway_[t.podUid] = run.now;
    }
  } else if (outcome == Outcome::kFailed) {
    emit(t, kube::EventType::kWarning, "ActionFailed", run.action,
         actionName + ": " + done.message);
  } else {
    emit(t, kube::EventType::kWarning, "ActionSkipped", run.action,
         actionName + " not possible: " + result.message);
  }
  return st;
}

}  // namespace lg::actions
