// restart: eviction through the Eviction API (dry run first, PDBs honoured) and rollout restart.

#include "controllers/actions/restart_action.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/actions/action_test_support.h"

namespace lg::actions {
namespace {

using namespace testing;

class RestartActionTest : public ::testing::Test {
 protected:
  // Every call the action made is one its permissions() declare (its RBAC rule).
  void TearDown() override {
    EXPECT_THAT(undeclaredCalls(fake_, action_, &api_), ::testing::IsEmpty());
  }
  void SetUp() override { fake_.put(ref("", "pods"), pod("checkout-1")); }
  ActionContext ctx() {
    return {.api = &api_,
            .step = &step_,
            .target = &target_,
            .now = 1767225600,
            .timeout = std::chrono::seconds(5),
            .leakingRevisions = {}};
  }
  lg::testing::FakeApiClient fake_;
  SubresourceApi api_{fake_};
  policy::PlaybookStep step_ = step("restart");
  ActionTarget target_ = target();
  RestartAction action_;
};

TEST_F(RestartActionTest, EvictsThroughTheEvictionApiAfterADryRun) {
  const auto plan = action_.prepare(ctx());
  ASSERT_EQ(plan.kind, ActionPlan::Kind::kGo) << plan.message;
  EXPECT_EQ(plan.message,
            "evict pod checkout-1 through the Eviction API (PodDisruptionBudgets honoured)");
  EXPECT_EQ(api_.dryRunEvictions, 1);
  EXPECT_TRUE(api_.evicted.empty());  // prepare changes nothing
  const auto r = action_.run(ctx(), plan);
  EXPECT_EQ(r.outcome, ActionResult::Outcome::kSucceeded) << r.message;
  EXPECT_EQ(r.eventReason, "PodRestarted");
  EXPECT_EQ(api_.evicted, std::vector<std::string>{"checkout-1"});
}

TEST_F(RestartActionTest, APodDisruptionBudgetMakesItWaitWithTheReason) {
  api_.pdbBlocks = true;
  const auto plan = action_.prepare(ctx());
  EXPECT_EQ(plan.kind, ActionPlan::Kind::kSkip);
  EXPECT_NE(plan.message.find("a PodDisruptionBudget forbids evicting pod checkout-1 now"),
            std::string::npos)
      << plan.message;
  EXPECT_NE(plan.message.find("waiting"), std::string::npos);
  EXPECT_TRUE(api_.evicted.empty());
}

TEST_F(RestartActionTest, ABudgetThatChangedInBetweenIsAFailureToRetry) {
  const auto plan = action_.prepare(ctx());
  api_.pdbBlocks = true;
  const auto r = action_.run(ctx(), plan);
  EXPECT_EQ(r.outcome, ActionResult::Outcome::kFailed);
  EXPECT_NE(r.message.find("PodDisruptionBudget refused"), std::string::npos) << r.message;
}

TEST_F(RestartActionTest, AGonePodIsNotRestarted) {
  fake_.erase(ref("", "pods"), "shop", "checkout-1");
  EXPECT_EQ(action_.prepare(ctx()).kind, ActionPlan::Kind::kSkip);
  EXPECT_EQ(action_.run(ctx(), ActionPlan::go("x")).outcome, ActionResult::Outcome::kSkipped);
}

// Issue 11, finding 7: evictions are for this pod only, and never for a pod nothing re-creates.
TEST_F(RestartActionTest, EvictionsCarryThePodsUidAsAPrecondition) {
  const auto plan = action_.prepare(ctx());
  ASSERT_EQ(plan.kind, ActionPlan::Kind::kGo) << plan.message;
  ASSERT_EQ(action_.run(ctx(), plan).outcome, ActionResult::Outcome::kSucceeded);
  // The dry run and the eviction both named the incident's pod by uid.
  EXPECT_EQ(api_.evictionUids, (std::vector<std::string>{"uid-checkout-1", "uid-checkout-1"}));
}

TEST_F(RestartActionTest, ASameNamedReplacementIsLeftAlone) {
  // A StatefulSet re-created checkout-1 under the same name after the cache last saw it.
  auto replacement = pod("checkout-1");
  replacement["metadata"]["uid"] = "uid-of-the-replacement";
  fake_.erase(ref("", "pods"), "shop", "checkout-1");
  fake_.put(ref("", "pods"), replacement);
  ASSERT_EQ((*fake_.object(ref("", "pods"), "shop", "checkout-1"))["metadata"]["uid"],
            "uid-of-the-replacement");
  const auto plan = action_.prepare(ctx());
  EXPECT_EQ(plan.kind, ActionPlan::Kind::kSkip);
  EXPECT_NE(plan.message.find("is a replacement"), std::string::npos) << plan.message;
  const auto r = action_.run(ctx(), ActionPlan::go("x"));
  EXPECT_EQ(r.outcome, ActionResult::Outcome::kSkipped);
  EXPECT_NE(r.message.find("left alone"), std::string::npos) << r.message;
  EXPECT_TRUE(api_.evicted.empty());
}

TEST_F(RestartActionTest, APodWithNoControllerOwnerIsNeverEvicted) {
  target_.workloadKind = "";
  target_.workloadName = "";
  const auto plan = action_.prepare(ctx());
  EXPECT_EQ(plan.kind, ActionPlan::Kind::kSkip);
  EXPECT_NE(plan.message.find("has no controller owner: evicting it would delete it for good"),
            std::string::npos)
      << plan.message;
  EXPECT_EQ(api_.dryRunEvictions, 0);
  EXPECT_TRUE(api_.evicted.empty());
}

TEST_F(RestartActionTest, ApiTroubleIsAFailure) {
  api_.evictionError = 500;
  EXPECT_EQ(action_.prepare(ctx()).kind, ActionPlan::Kind::kFail);
}

TEST_F(RestartActionTest, A503OrADroppedConnectionIsTriedAgainAtOnce) {
  std::vector<std::chrono::milliseconds> waits;
  auto c = ctx();
  c.pause = [&](std::chrono::milliseconds d) { waits.push_back(d); };
  api_.evictionError = 503;
  api_.evictionErrorTimes = 1;  // the dry run's first try
  const auto plan = action_.prepare(c);
  ASSERT_EQ(plan.kind, ActionPlan::Kind::kGo) << plan.message;
  api_.evictionError = 503;
  api_.evictionErrorTimes = 1;  // the real one's first try
  const auto r = action_.run(c, plan);
  ASSERT_EQ(r.outcome, ActionResult::Outcome::kSucceeded) << r.message;
  EXPECT_NE(r.message.find("tried again"), std::string::npos) << r.message;
  EXPECT_EQ(api_.evicted, std::vector<std::string>{"checkout-1"});
  EXPECT_EQ(waits, (std::vector<std::chrono::milliseconds>{std::chrono::seconds(1),
                                                           std::chrono::seconds(1)}));
  // Three 503s in a row: a failure, tried again after the cooldown.
  fake_.put(ref("", "pods"), pod("checkout-1"));
  api_.evicted.clear();
  api_.evictionError = 503;
  api_.evictionErrorTimes = 3;
  const auto failed = action_.run(c, plan);
  EXPECT_EQ(failed.outcome, ActionResult::Outcome::kFailed);
  EXPECT_EQ(failed.message,
            "evicting pod checkout-1: eviction failed; eviction failed; eviction failed");
  EXPECT_TRUE(api_.evicted.empty());
}

// The API server answers Success to the eviction of a pod that is terminating already: a try
// repeated blindly after a lost answer was a second eviction (two in the audit log).
TEST_F(RestartActionTest, AnEvictionWhoseAnswerWasLostIsASuccessAndIsNotRepeated) {
  api_.loseEvictionAnswer = true;
  const auto r = action_.run(ctx(), action_.prepare(ctx()));
  ASSERT_EQ(r.outcome, ActionResult::Outcome::kSucceeded) << r.message;
  EXPECT_EQ(r.message,
            "pod checkout-1 evicted gracefully (PodDisruptionBudgets honoured) (the answer was "
            "lost: connection reset by peer; pod checkout-1 is terminating now)");
  EXPECT_EQ(api_.evicted.size(), 1u);
}

TEST_F(RestartActionTest, APodTerminatingAlreadyIsNotEvictedAgain) {
  // Evicted by an attempt whose outcome was lost (journalled Failed after a timeout), or
  // deleted by someone else: the Eviction API would answer Success to it again.
  auto terminating = pod("checkout-1");
  terminating["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z";
  fake_.put(ref("", "pods"), terminating);
  const auto plan = action_.prepare(ctx());
  EXPECT_EQ(plan.kind, ActionPlan::Kind::kSkip);
  EXPECT_EQ(plan.message,
            "pod checkout-1 is terminating already: evicting it again would change nothing");
  EXPECT_EQ(api_.dryRunEvictions, 0);
  EXPECT_TRUE(api_.evicted.empty());
}

TEST_F(RestartActionTest, AnEvictionCheckThatCannotReadThePodIsAFailure) {
  fake_.fail("get", makeError("etcd timeout", 500));
  const auto plan = action_.prepare(ctx());
  EXPECT_EQ(plan.kind, ActionPlan::Kind::kFail);
  EXPECT_EQ(plan.message, "cannot read pod checkout-1: etcd timeout");
  EXPECT_EQ(api_.dryRunEvictions, 0);
}

TEST_F(RestartActionTest, VerifyTellsAnEvictionThatHappenedFromOneThatDidNot) {
  auto v = action_.verify(ctx(), 1767225600 - 120);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->kind, Verification::Kind::kNotDone) << v->message;
  auto replaced = pod("checkout-1");
  replaced["metadata"]["uid"] = "another";
  fake_.erase(ref("", "pods"), "shop", "checkout-1");  // put() would keep the uid
  fake_.put(ref("", "pods"), replaced);
  EXPECT_EQ(action_.verify(ctx(), 0)->kind, Verification::Kind::kDone);
  auto terminating = pod("checkout-1");
  terminating["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z";
  fake_.put(ref("", "pods"), terminating);
  EXPECT_EQ(action_.verify(ctx(), 0)->kind, Verification::Kind::kDone);
  fake_.erase(ref("", "pods"), "shop", "checkout-1");
  v = action_.verify(ctx(), 0);
  EXPECT_EQ(v->kind, Verification::Kind::kDone);
  EXPECT_EQ(v->message, "pod checkout-1 is gone: the eviction happened");
  fake_.fail("get", makeError("etcd timeout", 500));
  EXPECT_FALSE(action_.verify(ctx(), 0));
}

TEST_F(RestartActionTest, RolloutRestartAnnotatesTheOwnersTemplate) {
  step_.params["strategy"] = "rolloutRestart";
  fake_.put(ref("apps", "deployments"),
            json{{"metadata", {{"name", "checkout"}, {"namespace", "shop"}}},
                 {"spec", {{"template", {{"metadata", {{"labels", {{"app", "checkout"}}}}}}}}}});
  const auto plan = action_.prepare(ctx());
  ASSERT_EQ(plan.kind, ActionPlan::Kind::kGo);
  EXPECT_EQ(plan.message,
            "rollout restart deployment/checkout (template annotation "
            "kubectl.kubernetes.io/restartedAt)");
  EXPECT_EQ(action_.run(ctx(), plan).outcome, ActionResult::Outcome::kSucceeded);
  const auto d = *fake_.object(ref("apps", "deployments"), "shop", "checkout");
  EXPECT_EQ(d["spec"]["template"]["metadata"]["annotations"]["kubectl.kubernetes.io/restartedAt"],
            "2026-01-01T00:00:00Z");
  EXPECT_EQ(d["spec"]["template"]["metadata"]["labels"]["app"], "checkout");
  EXPECT_TRUE(api_.evicted.empty());
  // Verified after a crash: done when restartedAt is the attempt's or later.
  EXPECT_EQ(action_.verify(ctx(), 1767225600)->kind, Verification::Kind::kDone);
  EXPECT_EQ(action_.verify(ctx(), 1767225600 + 60)->kind, Verification::Kind::kNotDone);
}

TEST_F(RestartActionTest, RolloutRestartNeedsAnOwner) {
  step_.params["strategy"] = "rolloutRestart";
  target_.workloadKind = "";
  const auto plan = action_.prepare(ctx());
  EXPECT_EQ(plan.kind, ActionPlan::Kind::kSkip);
  EXPECT_NE(plan.message.find("has none"), std::string::npos) << plan.message;
}

}  // namespace
}  // namespace lg::actions
