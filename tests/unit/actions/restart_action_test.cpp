// restart: eviction through the Eviction API (dry run first, PDBs honoured) and rollout restart.

#include "controllers/actions/restart_action.h"

#include <gtest/gtest.h>

#include "tests/unit/actions/action_test_support.h"

namespace lg::actions {
namespace {

using namespace testing;

class RestartActionTest : public ::testing::Test {
 protected:
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
  policy::PlaybookStep step_ = step(policy::ActionKind::kRestart);
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

TEST_F(RestartActionTest, ApiTroubleIsAFailure) {
  api_.evictionError = 500;
  EXPECT_EQ(action_.prepare(ctx()).kind, ActionPlan::Kind::kFail);
}

TEST_F(RestartActionTest, RolloutRestartAnnotatesTheOwnersTemplate) {
  step_.params.strategy = "rolloutRestart";
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
}

TEST_F(RestartActionTest, RolloutRestartNeedsAnOwner) {
  step_.params.strategy = "rolloutRestart";
  target_.workloadKind = "";
  const auto plan = action_.prepare(ctx());
  EXPECT_EQ(plan.kind, ActionPlan::Kind::kSkip);
  EXPECT_NE(plan.message.find("has none"), std::string::npos) << plan.message;
}

}  // namespace
}  // namespace lg::actions
