// resizeLimits: in-place raise of the memory limit through pods/resize, or "not possible".

#include "controllers/actions/resize_limits_action.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/actions/action_test_support.h"

namespace lg::actions {
namespace {

using namespace testing;

class ResizeLimitsActionTest : public ::testing::Test {
 protected:
  // Every call the action made is one its permissions() declare (its RBAC rule).
  void TearDown() override {
    EXPECT_THAT(undeclaredCalls(fake_, action_, &api_), ::testing::IsEmpty());
  }
  void SetUp() override { fake_.put(ref("", "pods"), pod("checkout-1", "64Mi")); }
  ActionContext ctx() {
    return {.api = &api_,
            .step = &step_,
            .target = &target_,
            .now = 1767225600,
            .timeout = std::chrono::seconds(5),
            .leakingRevisions = {}};
  }
  json limitNow() {
    return (*fake_.object(ref("", "pods"), "shop",
                          "checkout-1"))["spec"]["containers"][0]["resources"]["limits"]["memory"];
  }
  lg::testing::FakeApiClient fake_;
  SubresourceApi api_{fake_};
  policy::PlaybookStep step_ = step("resizeLimits");
  ActionTarget target_ = target();
  ResizeLimitsAction action_;
};

TEST(ResizeLimitsNewLimit, FactorRoundedUpToMiBAndCapped) {
  constexpr int64_t Mi = 1 << 20;
  EXPECT_EQ(ResizeLimitsAction::newLimit(64 * Mi, 1.5, std::nullopt), 96 * Mi);
  EXPECT_EQ(ResizeLimitsAction::newLimit(100 * Mi + 1, 1.5, std::nullopt), 151 * Mi);
  EXPECT_EQ(ResizeLimitsAction::newLimit(64 * Mi, 2, 80.0 * Mi), 80 * Mi);
  EXPECT_EQ(ResizeLimitsAction::newLimit(64 * Mi, 2, 32.0 * Mi), 64 * Mi);         // never lowers
  EXPECT_EQ(ResizeLimitsAction::newLimit(400 * Mi, 1.1, std::nullopt), 440 * Mi);  // not 441Mi
  EXPECT_EQ(ResizeLimitsAction::newLimit(200 * Mi, 1.5, std::nullopt), 300 * Mi);
}

TEST_F(ResizeLimitsActionTest, RaisesTheLeakingContainersLimitInPlace) {
  step_.params["factor"] = 1.5;
  const auto plan = action_.prepare(ctx());
  ASSERT_EQ(plan.kind, ActionPlan::Kind::kGo) << plan.message;
  EXPECT_EQ(plan.message, "raise container app memory limit 64Mi -> 96Mi in place (pods/resize)");
  EXPECT_EQ(limitNow(), "64Mi");  // prepare changes nothing
  const auto r = action_.run(ctx(), plan);
  EXPECT_EQ(r.outcome, ActionResult::Outcome::kSucceeded) << r.message;
  EXPECT_EQ(r.eventReason, "LimitsResized");
  EXPECT_EQ(limitNow(), "96Mi");
  EXPECT_EQ(api_.resized, std::vector<std::string>{"checkout-1"});  // through pods/resize
}

TEST_F(ResizeLimitsActionTest, StopsAtMaxLimit) {
  step_.params["factor"] = 4;
  step_.params["maxLimit"] = "100Mi";
  const auto plan = action_.prepare(ctx());
  EXPECT_EQ(plan.message, "raise container app memory limit 64Mi -> 100Mi in place (pods/resize)");
  fake_.put(ref("", "pods"), pod("checkout-1", "100Mi"));
  const auto again = action_.prepare(ctx());
  EXPECT_EQ(again.kind, ActionPlan::Kind::kSkip);
  EXPECT_EQ(again.message, "container app memory limit 100Mi is already at maxLimit");
}

TEST_F(ResizeLimitsActionTest, NoLimitNothingToRaise) {
  fake_.put(ref("", "pods"), pod("checkout-1", ""));
  const auto plan = action_.prepare(ctx());
  EXPECT_EQ(plan.kind, ActionPlan::Kind::kSkip);
  EXPECT_EQ(plan.message, "container app has no memory limit to raise");
}

TEST_F(ResizeLimitsActionTest, AClusterWithoutResizeIsRecordedAsNotPossible) {
  api_.resizeError = 404;
  const auto plan = action_.prepare(ctx());
  const auto r = action_.run(ctx(), plan);
  EXPECT_EQ(r.outcome, ActionResult::Outcome::kSkipped);
  EXPECT_EQ(r.message.rfind("not possible: in-place resize 64Mi -> 96Mi refused (404", 0), 0u)
      << r.message;
  api_.resizeError = 422;
  EXPECT_EQ(ResizeLimitsAction().run(ctx(), plan).outcome, ActionResult::Outcome::kSkipped);
}

TEST_F(ResizeLimitsActionTest, TransientErrorsFailAndAreRetriedLater) {
  fake_.fail("get", Error{"connection reset", 0});
  EXPECT_EQ(action_.prepare(ctx()).kind, ActionPlan::Kind::kFail);
  const auto plan = action_.prepare(ctx());
  api_.resizeError = 503;
  EXPECT_EQ(action_.run(ctx(), plan).outcome, ActionResult::Outcome::kFailed);
}

TEST_F(ResizeLimitsActionTest, GarbageLimitIsSkipped) {
  fake_.put(ref("", "pods"), pod("checkout-1", "lots"));
  EXPECT_EQ(action_.prepare(ctx()).kind, ActionPlan::Kind::kSkip);
}

}  // namespace
}  // namespace lg::actions
