#include "controllers/actions/playbook_planner.h"

#include <gtest/gtest.h>

#include "operator/util/yaml_json.h"
#include "tests/unit/actions/action_test_support.h"

namespace lg::actions {
namespace {

using V = Decision::Verdict;

policy::LeakPolicySpec spec(const std::string& yaml) {
  auto docs = yamlToJson("spec:\n  selector: {matchLabels: {a: b}}\n" + yaml);
  auto p = policy::parseLeakPolicy(docs->at(0), testing::defaultActions());
  EXPECT_TRUE(p.usable()) << p.summary();
  return p.spec;
}

const char* kLadder = R"(  mode: Enforce
  playbook:
  - {name: keep, action: captureDiagnostics, params: {port: 6060, path: /heap}}
  - {name: restart, action: restart, when: {exhaustionWithin: 30m}}
  - {name: rollback, action: rollback, when: {restartsAtLeast: 3, within: 2h}}
  budgets: {maxUnavailable: 1, maxActionsPerHour: 4, cooldown: 10m}
)";

PlanInput input(const policy::LeakPolicySpec& s, double exhaustion) {
  return PlanInput{.spec = &s,
                   .actions = &testing::defaultActions(),
                   .now = 100000,
                   .exhaustionSeconds = exhaustion,
                   .confidence = 0.999,
                   .workloadPods = 2};
}

TEST(PlaybookPlanner, NothingEscalatesBeforeTheConditionHolds) {
  const auto s = spec(kLadder);
  const auto d = planPlaybook(input(s, 3 * 3600));
  // Only the unconditional record step.
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].action, "captureDiagnostics");
  EXPECT_EQ(d[0].verdict, V::kRun);
}

TEST(PlaybookPlanner, EvidenceFirstThenRestart) {
  const auto s = spec(kLadder);
  const auto d = planPlaybook(input(s, 20 * 60));
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0].action, "captureDiagnostics");
  EXPECT_EQ(d[1].action, "restart");
  EXPECT_EQ(d[1].verdict, V::kRun);
  EXPECT_FALSE(d[1].dryRun);
  EXPECT_NE(d[1].reason.find("limit reached in 20m (within 30m)"), std::string::npos)
      << d[1].reason;
  EXPECT_NE(d[1].reason.find("budget 1/4 this hour"), std::string::npos) << d[1].reason;
  EXPECT_EQ(d[1].budget, "1/4 this hour");
  EXPECT_EQ(d[0].budget, "");  // record steps spend no budget
}

TEST(PlaybookPlanner, HighestEligibleStepWins) {
  const auto s = spec(kLadder);
  auto in = input(s, 20 * 60);
  in.restartTimes = {in.now - 100, in.now - 2000, in.now - 5000};
  const auto d = planPlaybook(in);
  ASSERT_EQ(d.back().action, "rollback");
  EXPECT_NE(d.back().reason.find("3 restarts within 2h"), std::string::npos);
  // Restarts outside the window do not count.
  in.restartTimes = {in.now - 100, in.now - 2000, in.now - 9000};
  EXPECT_EQ(planPlaybook(in).back().action, "restart");
}

TEST(PlaybookPlanner, DoneStepsAreNeverRepeated) {
  const auto s = spec(kLadder);
  auto in = input(s, 20 * 60);
  in.journal = {{"keep", "captureDiagnostics", Outcome::kSucceeded, in.now - 60},
                {"restart", "restart", Outcome::kStarted, in.now - 30}};
  EXPECT_TRUE(planPlaybook(in).empty());
}

TEST(PlaybookPlanner, FailedStepsRetryAfterTheCooldownAtMostThreeTimes) {
  const auto s = spec(kLadder);
  auto in = input(s, 20 * 60);
  in.journal = {{"keep", "captureDiagnostics", Outcome::kSucceeded, in.now - 900},
                {"restart", "restart", Outcome::kFailed, in.now - 60}};
  auto d = planPlaybook(in);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].verdict, V::kSkip);
  EXPECT_NE(d[0].reason.find("next attempt in 9m"), std::string::npos) << d[0].reason;
  in.journal[1].time = in.now - 700;
  EXPECT_EQ(planPlaybook(in)[0].verdict, V::kRun);
  in.journal.push_back({"restart", "restart", Outcome::kFailed, in.now - 900});
  in.journal.push_back({"restart", "restart", Outcome::kFailed, in.now - 800});
  EXPECT_TRUE(planPlaybook(in).empty());
}

// Issue 11, finding 1: an action that failed while running (Started, then Failed: a 503 or 429
// on the eviction) is an attempt like one that failed before it started, and is tried again.
TEST(PlaybookPlanner, AnAttemptThatFailedWhileRunningIsRetriedAfterTheCooldown) {
  const auto s = spec(kLadder);
  auto in = input(s, 20 * 60);
  in.journal = {{"keep", "captureDiagnostics", Outcome::kSucceeded, in.now - 900},
                {"restart", "restart", Outcome::kStarted, in.now - 60},
                {"restart", "restart", Outcome::kFailed, in.now - 60}};
  auto d = planPlaybook(in);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].verdict, V::kSkip);
  EXPECT_NE(d[0].reason.find("failed 1 time(s); next attempt in 9m"), std::string::npos)
      << d[0].reason;
  in.now += 600;
  d = planPlaybook(in);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].action, "restart");
  EXPECT_EQ(d[0].verdict, V::kRun);
  // The third failed attempt is the last.
  for (int i = 0; i < 2; ++i) {
    in.journal.push_back({"restart", "restart", Outcome::kStarted, in.now - 30});
    in.journal.push_back({"restart", "restart", Outcome::kFailed, in.now - 30});
  }
  in.now += 600;
  EXPECT_TRUE(planPlaybook(in).empty());
}

TEST(PlaybookPlanner, AStartWithNoOutcomeIsNeverRepeatedBlindly) {
  const auto s = spec(kLadder);
  auto in = input(s, 20 * 60);
  // Failed once, then started again and cut short by a crash: in doubt, so not repeated.
  in.journal = {{"keep", "captureDiagnostics", Outcome::kSucceeded, in.now - 2000},
                {"restart", "restart", Outcome::kStarted, in.now - 1900},
                {"restart", "restart", Outcome::kFailed, in.now - 1900},
                {"restart", "restart", Outcome::kStarted, in.now - 1000}};
  EXPECT_TRUE(planPlaybook(in).empty());
  const auto h = stepHistory("restart", in.journal);
  EXPECT_TRUE(h.done);
  EXPECT_EQ(h.failures, 1);
  EXPECT_EQ(h.effectiveAttempts, (std::vector<double>{in.now - 1000}));
}

TEST(PlaybookPlanner, AnAttemptThatCouldNotBeCarriedOutIsNoFailure) {
  const auto s = spec(kLadder);
  auto in = input(s, 20 * 60);
  in.journal = {{"keep", "captureDiagnostics", Outcome::kSucceeded, in.now - 2000},
                {"restart", "restart", Outcome::kStarted, in.now - 1000},
                {"restart", "restart", Outcome::kSkipped, in.now - 1000}};
  const auto d = planPlaybook(in);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].verdict, V::kRun);
  const auto h = stepHistory("restart", in.journal);
  EXPECT_FALSE(h.done);
  EXPECT_EQ(h.failures, 0);
  EXPECT_TRUE(h.effectiveAttempts.empty());
  // Succeeded after all: done, one attempt that took effect, at the time it started.
  in.journal.push_back({"restart", "restart", Outcome::kStarted, in.now - 500});
  in.journal.push_back({"restart", "restart", Outcome::kSucceeded, in.now - 499});
  EXPECT_TRUE(planPlaybook(in).empty());
  EXPECT_EQ(stepHistory("restart", in.journal).effectiveAttempts,
            (std::vector<double>{in.now - 500}));
  // Across steps: each restart step's attempts once; the diagnostics are no escalation.
  EXPECT_EQ(effectiveAttempts(in.journal, testing::defaultActions(), &ActionTraits::takesPodAway),
            (std::vector<double>{in.now - 500}));
  EXPECT_EQ(effectiveAttempts(in.journal, testing::defaultActions(), &ActionTraits::escalation),
            (std::vector<double>{in.now - 500}));
}

TEST(PlaybookPlanner, BudgetsSkipWithTheReason) {
  const auto s = spec(kLadder);
  auto in = input(s, 20 * 60);
  in.journal = {{"keep", "captureDiagnostics", Outcome::kSucceeded, in.now - 60}};

  in.policyActionTimes = {in.now - 100, in.now - 200, in.now - 300, in.now - 400};
  auto d = planPlaybook(in);
  EXPECT_EQ(d.back().verdict, V::kSkip);
  EXPECT_EQ(d.back().reason, "budget spent: 4/4 actions this hour");

  in.policyActionTimes = {in.now - 4000};
  in.workloadActionTimes = {in.now - 120};
  d = planPlaybook(in);
  EXPECT_EQ(d.back().verdict, V::kSkip);
  EXPECT_EQ(d.back().reason, "cooldown: the workload was acted on 2m ago (cooldown 10m)");

  in.workloadActionTimes = {};
  in.workloadUnavailable = 1;
  d = planPlaybook(in);
  EXPECT_EQ(d.back().verdict, V::kSkip);
  EXPECT_EQ(d.back().reason, "maxUnavailable 1: 1 of 2 pods are unavailable");

  in.workloadUnavailable = 0;
  in.globalRateAllows = false;
  EXPECT_EQ(planPlaybook(in).back().verdict, V::kSkip);
}

TEST(PlaybookPlanner, NoEvidenceIsTakenWhenTheEscalationIsSkipped) {
  const auto s = spec(R"(  mode: Enforce
  playbook:
  - {name: keep, action: captureDiagnostics, when: {exhaustionWithin: 10m}, params: {port: 1, path: /}}
  - {name: restart, action: restart, when: {exhaustionWithin: 30m}}
)");
  auto in = input(s, 20 * 60);
  in.workloadUnavailable = 5;
  const auto d = planPlaybook(in);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].verdict, V::kSkip);
  in.workloadUnavailable = 0;
  const auto d2 = planPlaybook(in);
  ASSERT_EQ(d2.size(), 2u);
  EXPECT_EQ(d2[0].reason, "before restart");
}

TEST(PlaybookPlanner, ObserveModeAndDryRunStepsRunDryAndSpendNoBudget) {
  auto s = spec(kLadder);
  s.mode = policy::Mode::kObserve;
  auto in = input(s, 20 * 60);
  in.policyActionTimes = {in.now - 1, in.now - 2, in.now - 3, in.now - 4};
  auto d = planPlaybook(in);
  ASSERT_EQ(d.size(), 2u);
  for (const auto& x : d) {
    EXPECT_TRUE(x.dryRun);
    EXPECT_EQ(x.verdict, V::kRun);
  }
  auto e = spec(R"(  mode: Enforce
  playbook:
  - {name: r, action: restart, dryRun: true}
)");
  auto in2 = input(e, 600);
  EXPECT_TRUE(planPlaybook(in2)[0].dryRun);
}

TEST(PlaybookPlanner, PercentMaxUnavailable) {
  policy::Budgets b;
  b.maxUnavailablePercent = 25;
  EXPECT_EQ(maxUnavailable(b, 2), 1);
  EXPECT_EQ(maxUnavailable(b, 8), 2);
  EXPECT_EQ(maxUnavailable(b, 10), 2);
  b.maxUnavailablePercent.reset();
  b.maxUnavailable = 3;
  EXPECT_EQ(maxUnavailable(b, 10), 3);
}

}  // namespace
}  // namespace lg::actions

namespace lg::actions {
namespace {

TEST(StepOutcome, NamesRoundTripAndNothingElseIsAnOutcome) {
  for (auto o : {Outcome::kStarted, Outcome::kSucceeded, Outcome::kFailed, Outcome::kSkipped,
                 Outcome::kObserved})
    EXPECT_EQ(parseOutcome(name(o)), o);
  EXPECT_EQ(name(Outcome::kSucceeded), "Succeeded");
  EXPECT_FALSE(parseOutcome("succeeded"));
  EXPECT_FALSE(parseOutcome(""));
  EXPECT_FALSE(parseOutcome("Queued"));  // a report's word, never journalled
}

}  // namespace
}  // namespace lg::actions
