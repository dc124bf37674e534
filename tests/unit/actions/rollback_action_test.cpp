// rollback: back to the newest earlier healthy revision, like `kubectl rollout undo`.

#include "controllers/actions/rollback_action.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/actions/action_test_support.h"

namespace lg::actions {
namespace {

using namespace testing;

json replicaSet(const std::string& hash, int revision, const std::string& image,
                const std::string& ownerUid = "dep-uid") {
  return {{"metadata",
           {{"name", "checkout-" + hash},
            {"namespace", "shop"},
            {"labels", {{"app", "checkout"}, {"pod-template-hash", hash}}},
            {"annotations", {{"deployment.kubernetes.io/revision", std::to_string(revision)}}},
            {"ownerReferences", json::array({{{"kind", "Deployment"},
                                              {"name", "checkout"},
                                              {"uid", ownerUid},
                                              {"controller", true}}})}}},
          {"spec",
           {{"template",
             {{"metadata", {{"labels", {{"app", "checkout"}, {"pod-template-hash", hash}}}}},
              {"spec", {{"containers", json::array({{{"name", "app"}, {"image", image}}})}}}}}}}};
}

class RollbackTest : public ::testing::Test {
 protected:
  // Every call the action made is one its permissions() declare (its RBAC rule).
  void TearDown() override {
    EXPECT_THAT(undeclaredCalls(fake_, action_, &api_), ::testing::IsEmpty());
  }
  void SetUp() override {
    fake_.put(
        ref("apps", "deployments"),
        json{{"metadata",
              {{"name", "checkout"},
               {"namespace", "shop"},
               {"uid", "dep-uid"},
               {"annotations", {{"deployment.kubernetes.io/revision", "3"}}}}},
             {"spec",
              {{"template",
                {{"metadata", {{"labels", {{"app", "checkout"}}}}},
                 {"spec",
                  {{"containers", json::array({{{"name", "app"}, {"image", "leaky:3"}}})}}}}}}}});
    fake_.put(ref("apps", "replicasets"), replicaSet("hash1", 1, "leaky:1"));
    fake_.put(ref("apps", "replicasets"), replicaSet("hash2", 2, "leaky:2"));
    fake_.put(ref("apps", "replicasets"), replicaSet("hash3", 3, "leaky:3"));
    fake_.put(ref("apps", "replicasets"), replicaSet("other", 9, "other:1", "someone-else"));
  }
  ActionContext ctx() {
    return {.api = &api_,
            .step = &step_,
            .target = &target_,
            .now = 1767225600,
            .timeout = std::chrono::seconds(5),
            .leakingRevisions = leaking_};
  }
  json deployment() { return *fake_.object(ref("apps", "deployments"), "shop", "checkout"); }
  lg::testing::FakeApiClient fake_;
  SubresourceApi api_{fake_};
  policy::PlaybookStep step_ = step("rollback");
  ActionTarget target_ = target();  // runs hash3, the current revision
  std::set<std::string> leaking_;
  RollbackAction action_;
};

TEST_F(RollbackTest, RestoresThePreviousRevisionsTemplateWithoutItsHash) {
  const auto plan = action_.prepare(ctx());
  ASSERT_EQ(plan.kind, ActionPlan::Kind::kGo) << plan.message;
  EXPECT_EQ(
      plan.message,
      "roll deployment/checkout back from revision 3 to revision 2 (replicaset/checkout-hash2)");
  EXPECT_EQ(deployment()["spec"]["template"]["spec"]["containers"][0]["image"], "leaky:3");
  const auto r = action_.run(ctx(), plan);
  ASSERT_EQ(r.outcome, ActionResult::Outcome::kSucceeded) << r.message;
  EXPECT_EQ(r.eventReason, "RolledBack");
  EXPECT_EQ(r.message, "deployment/checkout rolled back, revision 3 -> 2");
  const auto d = deployment();
  EXPECT_EQ(d["spec"]["template"]["spec"]["containers"][0]["image"], "leaky:2");
  EXPECT_FALSE(d["spec"]["template"]["metadata"]["labels"].contains("pod-template-hash"));
  EXPECT_EQ(d["spec"]["template"]["metadata"]["labels"]["app"], "checkout");
}

TEST_F(RollbackTest, SkipsRevisionsTheLeakWasSeenIn) {
  leaking_ = {"hash2"};
  const auto plan = action_.prepare(ctx());
  ASSERT_EQ(plan.kind, ActionPlan::Kind::kGo) << plan.message;
  EXPECT_NE(plan.message.find("to revision 1"), std::string::npos) << plan.message;
  leaking_ = {"hash1", "hash2"};
  const auto none = action_.prepare(ctx());
  EXPECT_EQ(none.kind, ActionPlan::Kind::kSkip);
  EXPECT_EQ(none.message, "no earlier healthy revision: revision 3, 2, 1 were already leaking");
}

TEST_F(RollbackTest, NotWhenThePodRunsAnOlderRevision) {
  target_.workloadRevision = "hash2";
  const auto plan = action_.prepare(ctx());
  EXPECT_EQ(plan.kind, ActionPlan::Kind::kSkip);
  EXPECT_NE(plan.message.find("the leak did not come with the current revision"),
            std::string::npos);
}

TEST_F(RollbackTest, AConcurrentChangeOfTheDeploymentWins) {
  const auto plan = action_.prepare(ctx());
  auto d = deployment();
  d["spec"]["replicas"] = 5;
  fake_.put(ref("apps", "deployments"), d);  // a new resourceVersion
  const auto r = action_.run(ctx(), plan);
  EXPECT_EQ(r.outcome, ActionResult::Outcome::kFailed);
  EXPECT_EQ(deployment()["spec"]["template"]["spec"]["containers"][0]["image"], "leaky:3");
}

TEST_F(RollbackTest, OtherKindsAreSkipped) {
  target_.workloadKind = "DaemonSet";
  EXPECT_EQ(action_.prepare(ctx()).kind, ActionPlan::Kind::kSkip);
  target_.workloadKind = "";
  EXPECT_EQ(action_.prepare(ctx()).message,
            "rollback needs a Deployment or StatefulSet; pod checkout-1 has no owner");
}

TEST_F(RollbackTest, StatefulSetThroughControllerRevisions) {
  fake_.put(ref("apps", "statefulsets"),
            json{{"metadata", {{"name", "db"}, {"namespace", "shop"}, {"uid", "sts-uid"}}},
                 {"status", {{"updateRevision", "db-bbb"}, {"currentRevision", "db-bbb"}}}});
  for (auto [name, rev, image] :
       {std::tuple{"db-aaa", 1, "db:1"}, std::tuple{"db-bbb", 2, "db:2"}}) {
    fake_.put(
        ref("apps", "controllerrevisions"),
        json{{"metadata",
              {{"name", name},
               {"namespace", "shop"},
               {"ownerReferences",
                json::array(
                    {{{"kind", "StatefulSet"}, {"uid", "sts-uid"}, {"controller", true}}})}}},
             {"revision", rev},
             {"data",
              {{"spec",
                {{"template",
                  {{"$patch", "replace"},
                   {"spec",
                    {{"containers", json::array({{{"name", "db"}, {"image", image}}})}}}}}}}}}});
  }
  target_.workloadKind = "StatefulSet";
  target_.workloadName = "db";
  target_.workloadRevision = "db-bbb";
  const auto plan = action_.prepare(ctx());
  ASSERT_EQ(plan.kind, ActionPlan::Kind::kGo) << plan.message;
  EXPECT_EQ(plan.message,
            "roll statefulset/db back from revision 2 to revision 1 (controllerrevision/db-aaa)");
  ASSERT_EQ(action_.run(ctx(), plan).outcome, ActionResult::Outcome::kSucceeded);
  const auto calls = fake_.calls();
  EXPECT_EQ(calls.back().verb, "patch");
  EXPECT_EQ(calls.back().path, "/apis/apps/v1/namespaces/shop/statefulsets/db");
  EXPECT_EQ(calls.back().body["spec"]["template"]["spec"]["containers"][0]["image"], "db:1");
}

}  // namespace
}  // namespace lg::actions
