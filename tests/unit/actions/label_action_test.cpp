// label: labels added to the leaking pod, never changed; its params checked by the action itself.

#include "controllers/actions/label_action.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "controllers/actions/playbook_executor.h"
#include "operator/util/yaml_json.h"
#include "tests/unit/actions/action_test_support.h"

namespace lg::actions {
namespace {

using namespace testing;

class LabelActionTest : public ::testing::Test {
 protected:
  // Every call the action made is one its permissions() declare (its RBAC rule).
  void TearDown() override { EXPECT_THAT(undeclaredCalls(fake_, a_), ::testing::IsEmpty()); }
  void SetUp() override {
    auto p = pod("checkout-1");
    p["metadata"]["labels"] = {{"app", "checkout"}, {"pod-template-hash", "hash3"}};
    fake_.put(ref("", "pods"), p);
    step_.params["labels"] = {{"leakguard.io/leaking", "true"}, {"team", "payments"}};
  }
  ActionContext ctx() {
    return {.api = &fake_, .step = &step_, .target = &t_, .now = 1, .timeout = {}};
  }
  nlohmann::json labels() {
    return (*fake_.object(ref("", "pods"), "shop", "checkout-1"))["metadata"]["labels"];
  }
  lg::testing::FakeApiClient fake_;
  policy::PlaybookStep step_ = step("label");
  ActionTarget t_ = target();
  LabelAction a_;
};

TEST_F(LabelActionTest, AddsTheLabelsToThePodAndNothingElse) {
  const auto plan = a_.prepare(ctx());
  ASSERT_EQ(plan.kind, ActionPlan::Kind::kGo) << plan.message;
  EXPECT_EQ(plan.message, "label pod checkout-1 leakguard.io/leaking=true, team=payments");
  EXPECT_EQ(fake_.callCount("patch"), 0u);
  const auto before = *fake_.object(ref("", "pods"), "shop", "checkout-1");
  EXPECT_EQ(a_.run(ctx(), plan).outcome, ActionResult::Outcome::kSucceeded);
  EXPECT_EQ(a_.run(ctx(), plan).outcome, ActionResult::Outcome::kSucceeded);  // idempotent
  EXPECT_EQ(labels()["leakguard.io/leaking"], "true");
  EXPECT_EQ(labels()["team"], "payments");
  EXPECT_EQ(labels()["app"], "checkout");  // the owner's selector still matches
  EXPECT_EQ(labels()["pod-template-hash"], "hash3");
  EXPECT_EQ((*fake_.object(ref("", "pods"), "shop", "checkout-1"))["spec"], before["spec"]);
}

TEST_F(LabelActionTest, NeverChangesALabelThePodHas) {
  auto p = pod("checkout-1");
  p["metadata"]["labels"] = {{"app", "checkout"}, {"team", "search"}};
  fake_.put(ref("", "pods"), p);
  const auto plan = a_.prepare(ctx());
  EXPECT_EQ(plan.kind, ActionPlan::Kind::kSkip);
  EXPECT_EQ(plan.message,
            "pod checkout-1 has label team=search already; labels are only added, never changed");
  EXPECT_EQ(fake_.callCount("patch"), 0u);
}

TEST_F(LabelActionTest, APodGoneIsNotAFailure) {
  fake_.erase(ref("", "pods"), "shop", "checkout-1");
  EXPECT_EQ(a_.prepare(ctx()).kind, ActionPlan::Kind::kSkip);
  EXPECT_EQ(a_.run(ctx(), ActionPlan::go("label")).outcome, ActionResult::Outcome::kSkipped);
}

TEST_F(LabelActionTest, ItsParamsAreCheckedWhenThePolicyIsParsed) {
  auto issuesOf = [&](const nlohmann::json& params) {
    std::vector<policy::ValidationIssue> issues;
    a_.checkParams(policy::FieldReader(params, "spec.playbook[0].params", issues));
    std::string out;
    for (const auto& i : issues)
      out += i.field + ": " + i.message + "\n";
    return out;
  };
  EXPECT_EQ(issuesOf({{"labels", {{"leakguard.io/leaking", "true"}}}}), "");
  EXPECT_EQ(issuesOf({{"labels", {{"app", ""}}}}), "");
  EXPECT_EQ(issuesOf(nlohmann::json::object()),
            "spec.playbook[0].params: label needs params.labels\n");
  EXPECT_EQ(issuesOf({{"labels", nlohmann::json::object()}}),
            "spec.playbook[0].params.labels: must give 1 to 10 labels\n");
  EXPECT_EQ(issuesOf({{"labels", {{"Bad Key", "x"}}}}),
            "spec.playbook[0].params.labels: \"Bad Key\" is not a label key (name or "
            "prefix/name)\n");
  EXPECT_EQ(issuesOf({{"labels", {{"UPPER.example/x", "x"}}}}),
            "spec.playbook[0].params.labels: \"UPPER.example/x\" is not a label key (name or "
            "prefix/name)\n");
  EXPECT_EQ(issuesOf({{"labels", {{"ok", "not ok"}}}}),
            "spec.playbook[0].params.labels: the value of ok is not a label value\n");
  EXPECT_EQ(issuesOf({{"labels", {{"ok", 3}}}}),
            "spec.playbook[0].params.labels: the value of ok is not a label value\n");
  EXPECT_EQ(issuesOf({{"labels", {{"ok", std::string(64, 'a')}}}}),
            "spec.playbook[0].params.labels: the value of ok is not a label value\n");
  EXPECT_EQ(issuesOf({{"labels", "x=y"}}),
            "spec.playbook[0].params.labels: must be a map of label keys to values\n");
}

// Registered, the action is a step like any other: the policy parser takes it and checks its
// params, the planner runs it once per incident, the executor journals it, with no change to any
// of them.
TEST_F(LabelActionTest, ALabelStepOfAPolicyIsCarriedOutByThePlaybook) {
  auto docs = yamlToJson(R"(spec:
  selector: {matchLabels: {app: checkout}}
  mode: Enforce
  playbook:
  - {name: mark, action: label, params: {labels: {leakguard.io/leaking: "true"}}}
)");
  auto parsed = policy::parseLeakPolicy(docs->at(0), defaultActions());
  ASSERT_TRUE(parsed.usable()) << parsed.summary();
  auto bad = yamlToJson(R"(spec:
  selector: {matchLabels: {app: checkout}}
  playbook:
  - {action: label, params: {labels: {"no way": "x"}}}
)");
  EXPECT_EQ(policy::parseLeakPolicy(bad->at(0), defaultActions()).summary(),
            "spec.playbook[0].params.labels: \"no way\" is not a label key (name or "
            "prefix/name)");

  const kube::ResourceRef incidents = ref("leakguard.io", "leakincidents");
  fake_.put(incidents, {{"metadata", {{"name", t_.incidentName}, {"namespace", "shop"}}},
                        {"spec", {{"policy", "checkout"}}},
                        {"status", {{"state", "Open"}}}});
  PlaybookExecutor exec({.api = &fake_,
                         .registry = &defaultActions(),
                         .events = nullptr,
                         .count = nullptr,
                         .apiTimeout = std::chrono::seconds(5)});
  IncidentCase c{.spec = &parsed.spec,
                 .policyKey = "shop/checkout",
                 .workloadKey = "Deployment/checkout",
                 .target = t_,
                 .plan = {.spec = &parsed.spec, .now = 1e9, .confidence = 0.999}};
  for (int i = 0; i < 2; ++i) {  // once per incident
    auto r = exec.execute(c);
    ASSERT_TRUE(r) << r.error().message;
  }
  const auto status = (*fake_.object(incidents, "shop", t_.incidentName))["status"];
  ASSERT_EQ(status["actions"].size(), 2u) << status.dump();
  EXPECT_EQ(status["actions"][0]["outcome"], "Started");
  EXPECT_EQ(status["actions"][1]["outcome"], "Succeeded");
  EXPECT_EQ(status["actions"][1]["action"], "label");
  EXPECT_EQ(status["lastAction"], "label");
  EXPECT_EQ(labels()["leakguard.io/leaking"], "true");
}

}  // namespace
}  // namespace lg::actions
