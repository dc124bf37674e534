// reschedule: taint the pressured node, evict the leaker, release the taint afterwards.

#include "controllers/actions/reschedule_action.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/actions/action_test_support.h"

namespace lg::actions {
namespace {

using namespace testing;

json node(bool pressure, json taints = json::array()) {
  return {
      {"metadata", {{"name", "n1"}}},
      {"spec", {{"taints", taints}}},
      {"status",
       {{"conditions",
         json::array({{{"type", "Ready"}, {"status", "True"}},
                      {{"type", "MemoryPressure"}, {"status", pressure ? "True" : "False"}}})}}}};
}

class RescheduleTest : public ::testing::Test {
 protected:
  // Every call the action made is one its permissions() declare (its RBAC rule).
  void TearDown() override {
    EXPECT_THAT(undeclaredCalls(fake_, action_, &api_), ::testing::IsEmpty());
  }
  void SetUp() override {
    fake_.put(ref("", "pods"), pod("checkout-1"));
    fake_.put(ref("", "nodes"),
              node(true, json::array({{{"key", "other"}, {"effect", "NoSchedule"}}})));
  }
  ActionContext ctx() {
    return {.api = &api_,
            .step = &step_,
            .target = &target_,
            .now = 1767225600,
            .timeout = std::chrono::seconds(5),
            .leakingRevisions = {}};
  }
  json taints() { return (*fake_.object(ref("", "nodes"), "", "n1"))["spec"]["taints"]; }
  lg::testing::FakeApiClient fake_;
  SubresourceApi api_{fake_};
  policy::PlaybookStep step_ = step("reschedule");
  ActionTarget target_ = target();
  RescheduleAction action_;
};

TEST_F(RescheduleTest, TaintsThePressuredNodeAndEvictsTheLeaker) {
  const auto plan = action_.prepare(ctx());
  ASSERT_EQ(plan.kind, ActionPlan::Kind::kGo) << plan.message;
  EXPECT_EQ(taints().size(), 1u);
  const auto r = action_.run(ctx(), plan);
  ASSERT_EQ(r.outcome, ActionResult::Outcome::kSucceeded) << r.message;
  EXPECT_EQ(r.eventReason, "PodRescheduled");
  EXPECT_EQ(api_.evicted, std::vector<std::string>{"checkout-1"});
  ASSERT_EQ(taints().size(), 2u);
  EXPECT_EQ(taints()[0]["key"], "other");
  EXPECT_EQ(taints()[1]["key"], "leakguard.io/memory-pressure");
  EXPECT_EQ(taints()[1]["effect"], "NoSchedule");
}

TEST_F(RescheduleTest, APodWithNoControllerOwnerIsNeitherEvictedNorTheNodeTainted) {
  target_.workloadKind = "";
  const auto plan = action_.prepare(ctx());
  EXPECT_EQ(plan.kind, ActionPlan::Kind::kSkip);
  EXPECT_NE(plan.message.find("has no controller owner"), std::string::npos) << plan.message;
  EXPECT_EQ(taints().size(), 1u);
  EXPECT_TRUE(api_.evicted.empty());
}

TEST_F(RescheduleTest, NothingWithoutMemoryPressure) {
  fake_.put(ref("", "nodes"), node(false));
  const auto plan = action_.prepare(ctx());
  EXPECT_EQ(plan.kind, ActionPlan::Kind::kSkip);
  EXPECT_EQ(plan.message, "node n1 is not under memory pressure");
}

TEST_F(RescheduleTest, TheTaintIsLabelledSoItIsFoundAgainAndReleaseTakesBothOff) {
  ASSERT_EQ(action_.run(ctx(), action_.prepare(ctx())).outcome, ActionResult::Outcome::kSucceeded);
  auto n = *fake_.object(ref("", "nodes"), "", "n1");
  EXPECT_EQ(n["metadata"]["labels"]["leakguard.io/memory-pressure-taint"], "true");
  ASSERT_TRUE(RescheduleAction::taintAdded(n));
  EXPECT_EQ(*RescheduleAction::taintAdded(n), 1767225600.0);
  ASSERT_TRUE(RescheduleAction::release(api_, n, std::chrono::seconds(5)).ok());
  n = *fake_.object(ref("", "nodes"), "", "n1");
  ASSERT_EQ(taints().size(), 1u);
  EXPECT_EQ(taints()[0]["key"], "other");
  EXPECT_FALSE(n["metadata"]["labels"].contains("leakguard.io/memory-pressure-taint"));
  EXPECT_FALSE(RescheduleAction::taintAdded(n));
}

// Two LeakGuards tainting one node at the same moment: the write that loses (409) reads the node
// again and goes on, not a failed attempt.
TEST_F(RescheduleTest, ANodeChangedMeanwhileIsReadAgain) {
  const auto plan = action_.prepare(ctx());
  fake_.fail("patch", Error{"Operation cannot be fulfilled on nodes \"n1\"", 409}, 2);
  const auto r = action_.run(ctx(), plan);
  ASSERT_EQ(r.outcome, ActionResult::Outcome::kSucceeded) << r.message;
  EXPECT_EQ(taints().size(), 2u);
  EXPECT_EQ(api_.evicted, std::vector<std::string>{"checkout-1"});
  // Refused every time: a failure, with the reason.
  fake_.put(ref("", "nodes"), node(true));
  fake_.fail("patch", Error{"Operation cannot be fulfilled on nodes \"n1\"", 409}, 3);
  const auto again = action_.run(ctx(), plan);
  EXPECT_EQ(again.outcome, ActionResult::Outcome::kFailed);
  EXPECT_NE(again.message.find("tainting node n1: Operation cannot be fulfilled"),
            std::string::npos)
      << again.message;
}

TEST_F(RescheduleTest, TheLabelNamesTheInstallThatTainted) {
  auto c = ctx();
  c.install = "team-a/leakguard-controller";
  ASSERT_EQ(action_.run(c, action_.prepare(c)).outcome, ActionResult::Outcome::kSucceeded);
  const auto n = *fake_.object(ref("", "nodes"), "", "n1");
  EXPECT_EQ(n["metadata"]["labels"]["leakguard.io/memory-pressure-taint"],
            "team-a.leakguard-controller");
  EXPECT_TRUE(RescheduleAction::taintedBy(n, "team-a/leakguard-controller"));
  EXPECT_FALSE(RescheduleAction::taintedBy(n, "leakguard-system/leakguard-controller"));
}

TEST_F(RescheduleTest, APdbMakesItWait) {
  api_.pdbBlocks = true;
  EXPECT_EQ(action_.prepare(ctx()).kind, ActionPlan::Kind::kSkip);
}

}  // namespace
}  // namespace lg::actions
