// enforceQuota: a LimitRange and a ResourceQuota as the step declares, ours only, idempotent.

#include "controllers/actions/enforce_quota_action.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/actions/action_test_support.h"

namespace lg::actions {
namespace {

using namespace testing;

class EnforceQuotaTest : public ::testing::Test {
 protected:
  // Every call the action made is one its permissions() declare (its RBAC rule).
  void TearDown() override {
    EXPECT_THAT(undeclaredCalls(fake_, action_, &api_), ::testing::IsEmpty());
  }
  void SetUp() override {
    step_.params["defaultMemoryLimit"] = "512Mi";
    step_.params["maxMemoryLimit"] = "4Gi";
    step_.params["quotaMemoryLimits"] = "32Gi";
  }
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
  policy::PlaybookStep step_ = step("enforceQuota");
  ActionTarget target_ = target();
  EnforceQuotaAction action_;
};

TEST_F(EnforceQuotaTest, CreatesTheLimitRangeAndQuotaTheStepDeclares) {
  const auto plan = action_.prepare(ctx());
  ASSERT_EQ(plan.kind, ActionPlan::Kind::kGo) << plan.message;
  EXPECT_EQ(plan.message,
            "give namespace shop LimitRange leakguard-memory (container memory default 512Mi, "
            "max 4Gi) and ResourceQuota leakguard-memory (limits.memory 32Gi)");
  EXPECT_EQ(fake_.callCount("create"), 0u);
  const auto r = action_.run(ctx(), plan);
  ASSERT_EQ(r.outcome, ActionResult::Outcome::kSucceeded) << r.message;
  EXPECT_EQ(r.eventReason, "QuotaEnforced");
  auto lr = fake_.object(ref("", "limitranges"), "shop", "leakguard-memory");
  ASSERT_TRUE(lr);
  EXPECT_EQ((*lr)["spec"]["limits"][0]["type"], "Container");
  EXPECT_EQ((*lr)["spec"]["limits"][0]["default"]["memory"], "512Mi");
  EXPECT_EQ((*lr)["spec"]["limits"][0]["max"]["memory"], "4Gi");
  EXPECT_EQ((*lr)["metadata"]["labels"]["app.kubernetes.io/managed-by"], "leakguard");
  EXPECT_EQ((*lr)["metadata"]["labels"]["leakguard.io/policy"], "checkout");
  EXPECT_EQ((*lr)["metadata"]["labels"]["leakguard.io/policy-uid"], "pol-uid");
  auto rq = fake_.object(ref("", "resourcequotas"), "shop", "leakguard-memory");
  ASSERT_TRUE(rq);
  EXPECT_EQ((*rq)["spec"]["hard"]["limits.memory"], "32Gi");
}

TEST_F(EnforceQuotaTest, RunningTwiceUpdatesInPlace) {
  ASSERT_EQ(action_.run(ctx(), action_.prepare(ctx())).outcome, ActionResult::Outcome::kSucceeded);
  step_.params["quotaMemoryLimits"] = "16Gi";
  const auto r = action_.run(ctx(), action_.prepare(ctx()));
  ASSERT_EQ(r.outcome, ActionResult::Outcome::kSucceeded) << r.message;
  EXPECT_NE(r.message.find("ResourceQuota leakguard-memory updated"), std::string::npos);
  EXPECT_EQ((*fake_.object(ref("", "resourcequotas"), "shop",
                           "leakguard-memory"))["spec"]["hard"]["limits.memory"],
            "16Gi");
  EXPECT_EQ(fake_.count(ref("", "resourcequotas")), 1u);
}

TEST_F(EnforceQuotaTest, SomeoneElsesObjectIsLeftAlone) {
  fake_.put(ref("", "limitranges"),
            json{{"metadata", {{"name", "leakguard-memory"}, {"namespace", "shop"}}},
                 {"spec", {{"limits", json::array()}}}});
  const auto plan = action_.prepare(ctx());
  EXPECT_EQ(plan.kind, ActionPlan::Kind::kSkip);
  EXPECT_EQ(plan.message,
            "LimitRange leakguard-memory in namespace shop exists and is not managed by leakguard");
  EXPECT_EQ(action_.run(ctx(), ActionPlan::go("x")).outcome, ActionResult::Outcome::kSkipped);
}

json quotaWrittenBy(const std::string& policy, const std::string& uid) {
  json labels = {{"app.kubernetes.io/managed-by", "leakguard"}, {"leakguard.io/policy", policy}};
  if (!uid.empty()) labels["leakguard.io/policy-uid"] = uid;
  return {{"metadata", {{"name", "leakguard-memory"}, {"namespace", "shop"}, {"labels", labels}}},
          {"spec", {{"hard", {{"limits.memory", "8Gi"}}}}}};
}

json leakPolicy(const std::string& name, const std::string& uid) {
  return {{"metadata", {{"name", name}, {"namespace", "shop"}, {"uid", uid}}}};
}

// Issue 11, finding 6: any policy of the namespace replaced a quota labelled managed-by=leakguard.
TEST_F(EnforceQuotaTest, AnotherPolicysQuotaIsLeftAlone) {
  fake_.put(ref("leakguard.io", "leakpolicies"), leakPolicy("platform", "platform-uid"));
  fake_.put(ref("", "resourcequotas"), quotaWrittenBy("platform", "platform-uid"));
  const auto plan = action_.prepare(ctx());
  EXPECT_EQ(plan.kind, ActionPlan::Kind::kSkip);
  EXPECT_EQ(plan.message,
            "ResourceQuota leakguard-memory in namespace shop was written by LeakPolicy platform; "
            "only that policy changes it (or delete it, or that policy)");
  // run() checks again (the plan may be old): nothing is replaced.
  const auto r = action_.run(ctx(), ActionPlan::go("x"));
  EXPECT_EQ(r.outcome, ActionResult::Outcome::kSkipped);
  EXPECT_NE(r.message.find("was written by LeakPolicy platform"), std::string::npos) << r.message;
  EXPECT_EQ((*fake_.object(ref("", "resourcequotas"), "shop",
                           "leakguard-memory"))["spec"]["hard"]["limits.memory"],
            "8Gi");
  EXPECT_EQ(fake_.callCount("replace"), 0u);
}

TEST_F(EnforceQuotaTest, AQuotaOfADeletedPolicyIsAdopted) {
  fake_.put(ref("", "resourcequotas"), quotaWrittenBy("platform", "platform-uid"));
  const auto r = action_.run(ctx(), action_.prepare(ctx()));
  ASSERT_EQ(r.outcome, ActionResult::Outcome::kSucceeded) << r.message;
  const auto rq = fake_.object(ref("", "resourcequotas"), "shop", "leakguard-memory");
  EXPECT_EQ((*rq)["spec"]["hard"]["limits.memory"], "32Gi");
  EXPECT_EQ((*rq)["metadata"]["labels"]["leakguard.io/policy"], "checkout");
  EXPECT_EQ((*rq)["metadata"]["labels"]["leakguard.io/policy-uid"], "pol-uid");
}

TEST_F(EnforceQuotaTest, APolicyReCreatedUnderTheSameNameIsAnotherWriter) {
  // "platform" was deleted and re-created: the quota's writer is gone, so it is adopted...
  fake_.put(ref("leakguard.io", "leakpolicies"), leakPolicy("platform", "platform-uid-2"));
  fake_.put(ref("", "resourcequotas"), quotaWrittenBy("platform", "platform-uid"));
  EXPECT_EQ(action_.prepare(ctx()).kind, ActionPlan::Kind::kGo);
  // ...while this policy's own, written before the uid label existed, is told by its name.
  fake_.put(ref("", "resourcequotas"), quotaWrittenBy("checkout", ""));
  EXPECT_EQ(action_.prepare(ctx()).kind, ActionPlan::Kind::kGo);
  // And a same-named policy with another uid is not this one.
  fake_.put(ref("", "resourcequotas"), quotaWrittenBy("checkout", "old-checkout-uid"));
  fake_.put(ref("leakguard.io", "leakpolicies"), leakPolicy("checkout", "old-checkout-uid"));
  EXPECT_EQ(action_.prepare(ctx()).kind, ActionPlan::Kind::kSkip);
}

TEST_F(EnforceQuotaTest, OnlyWhatIsDeclared) {
  step_.params.erase("defaultMemoryLimit");
  step_.params.erase("maxMemoryLimit");
  EXPECT_TRUE(EnforceQuotaAction::limitRange("shop", readParams<EnforceQuotaAction::Params>(step_))
                  .is_null());
  ASSERT_EQ(action_.run(ctx(), action_.prepare(ctx())).outcome, ActionResult::Outcome::kSucceeded);
  EXPECT_EQ(fake_.count(ref("", "limitranges")), 0u);
  EXPECT_EQ(fake_.count(ref("", "resourcequotas")), 1u);
}

}  // namespace
}  // namespace lg::actions
