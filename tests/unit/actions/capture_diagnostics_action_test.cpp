// captureDiagnostics: one GET to the pod's port and path, kept in a ConfigMap the incident owns.

#include "controllers/actions/capture_diagnostics_action.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "operator/kube/base64.h"
#include "tests/unit/actions/action_test_support.h"
#include "tests/unit/reconcile/crd_schema.h"

namespace lg::actions {
namespace {

using namespace testing;

class FakeFetcher final : public HttpFetcher {
 public:
  Result<FetchResponse> get(const FetchRequest& req) override {
    requests.push_back(req);
    if (error) return *error;
    FetchResponse r = response;
    if (r.body.size() > req.maxBytes) {
      r.body.resize(req.maxBytes);
      r.truncated = true;
    }
    return r;
  }
  std::vector<FetchRequest> requests;
  FetchResponse response{
      .status = 200, .contentType = "text/plain", .body = "heap profile", .truncated = false};
  std::optional<Error> error;
};

class CaptureDiagnosticsTest : public ::testing::Test {
 protected:
  // Every call the action made is one its permissions() declare (its RBAC rule).
  void TearDown() override {
    EXPECT_THAT(undeclaredCalls(fake_, action_, &api_), ::testing::IsEmpty());
  }
  void SetUp() override {
    fake_.put(ref("", "pods"), pod("checkout-1"));
    step_.name = "keep-evidence";
    step_.params["port"] = 6060;
    step_.params["path"] = "/debug/pprof/heap";
    step_.params["timeout"] = "3s";
    step_.params["maxBytes"] = 1024;
  }
  ActionContext ctx() {
    return {.api = &api_,
            .step = &step_,
            .target = &target_,
            .now = 1767225600,
            .timeout = std::chrono::seconds(5),
            .leakingRevisions = {}};
  }
  std::optional<json> configMap() {
    return fake_.object(ref("", "configmaps"), "shop", "checkout-1-20260101-diag-keep-evidence");
  }
  lg::testing::FakeApiClient fake_;
  SubresourceApi api_{fake_};
  FakeFetcher fetcher_;
  policy::PlaybookStep step_ = step("captureDiagnostics");
  ActionTarget target_ = target();
  CaptureDiagnosticsAction action_{fetcher_};
};

TEST_F(CaptureDiagnosticsTest, FetchesOnlyThePolicysPortAndPathAndKeepsItWithTheIncident) {
  const auto plan = action_.prepare(ctx());
  ASSERT_EQ(plan.kind, ActionPlan::Kind::kGo) << plan.message;
  EXPECT_EQ(plan.message,
            "GET http://10.1.2.3:6060/debug/pprof/heap (timeout 3s, at most 1KiB) and keep it in "
            "configmap/checkout-1-20260101-diag-keep-evidence");
  EXPECT_TRUE(fetcher_.requests.empty());  // prepare fetches nothing
  const auto r = action_.run(ctx(), plan);
  ASSERT_EQ(r.outcome, ActionResult::Outcome::kSucceeded) << r.message;
  EXPECT_EQ(r.eventReason, "DiagnosticsCaptured");
  ASSERT_EQ(fetcher_.requests.size(), 1u);
  EXPECT_EQ(fetcher_.requests[0].host, "10.1.2.3");
  EXPECT_EQ(fetcher_.requests[0].port, 6060);
  EXPECT_EQ(fetcher_.requests[0].path, "/debug/pprof/heap");
  EXPECT_EQ(fetcher_.requests[0].timeout, std::chrono::milliseconds(3000));
  EXPECT_EQ(fetcher_.requests[0].maxBytes, 1024u);

  auto cm = configMap();
  ASSERT_TRUE(cm);
  EXPECT_EQ((*cm)["data"]["debug-pprof-heap"], "heap profile");
  const auto& owner = (*cm)["metadata"]["ownerReferences"][0];
  EXPECT_EQ(owner["kind"], "LeakIncident");
  EXPECT_EQ(owner["name"], "checkout-1-20260101");
  EXPECT_EQ(owner["uid"], "inc-uid");
  EXPECT_EQ((*cm)["metadata"]["labels"]["app.kubernetes.io/managed-by"], "leakguard");
  EXPECT_EQ(r.diagnostics["keptIn"], "configmap/checkout-1-20260101-diag-keep-evidence");
  EXPECT_EQ(r.diagnostics["bytes"], 12);
  EXPECT_EQ(r.diagnostics["truncated"], false);
  EXPECT_EQ(r.diagnostics["source"], "GET :6060/debug/pprof/heap");
  // As the incident's status.diagnostics keeps it: what the CRD declares, nothing pruned.
  const auto schema = lg::testing::crdSchema("leakguard.io_leakincidents.yaml");
  ASSERT_TRUE(schema.is_object());
  EXPECT_EQ(lg::testing::schemaViolations(r.diagnostics,
                                          schema.at(nlohmann::json::json_pointer(
                                              "/properties/status/properties/diagnostics/items"))),
            std::vector<std::string>{})
      << r.diagnostics.dump();
}

TEST_F(CaptureDiagnosticsTest, BinaryBodiesGoToBinaryDataAndBigOnesAreCut) {
  fetcher_.response.body = std::string(1, '\0') + std::string(3000, '\x01');
  const auto r = action_.run(ctx(), action_.prepare(ctx()));
  ASSERT_EQ(r.outcome, ActionResult::Outcome::kSucceeded) << r.message;
  auto cm = configMap();
  ASSERT_TRUE(cm);
  EXPECT_FALSE(cm->contains("data"));
  auto decoded = kube::base64Decode((*cm)["binaryData"]["debug-pprof-heap"].get<std::string>());
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->size(), 1024u);
  EXPECT_EQ(r.diagnostics["truncated"], true);
  EXPECT_EQ((*cm)["metadata"]["annotations"]["leakguard.io/truncated"], "true");
}

TEST_F(CaptureDiagnosticsTest, RedirectsAndErrorsAreFailuresAndKeepNothing) {
  fetcher_.response.status = 302;
  auto r = action_.run(ctx(), action_.prepare(ctx()));
  EXPECT_EQ(r.outcome, ActionResult::Outcome::kFailed);
  EXPECT_NE(r.message.find("redirects are not followed"), std::string::npos) << r.message;
  EXPECT_FALSE(configMap());
  fetcher_.error = Error{"timed out connecting", 0};
  r = action_.run(ctx(), action_.prepare(ctx()));
  EXPECT_EQ(r.outcome, ActionResult::Outcome::kFailed);
  EXPECT_EQ(r.diagnostics["outcome"], "Failed: timed out connecting");
}

// The controller may create ConfigMaps but never rewrite one (its RBAC has no update): a retry
// after an attempt cut short keeps that attempt's capture, which is this incident's evidence.
TEST_F(CaptureDiagnosticsTest, ARetryKeepsTheCaptureOfACutShortAttempt) {
  ASSERT_EQ(action_.run(ctx(), action_.prepare(ctx())).outcome, ActionResult::Outcome::kSucceeded);
  const std::string first = (*configMap())["data"]["debug-pprof-heap"];
  fetcher_.response.body = "second";
  const auto again = action_.run(ctx(), action_.prepare(ctx()));
  ASSERT_EQ(again.outcome, ActionResult::Outcome::kSucceeded) << again.message;
  EXPECT_NE(again.message.find("of an earlier attempt of this incident kept in configmap/"),
            std::string::npos)
      << again.message;
  EXPECT_EQ(again.diagnostics["outcome"], "Captured");
  EXPECT_EQ((*configMap())["data"]["debug-pprof-heap"], first);
  EXPECT_EQ(fake_.callCount("replace"), 0u);
}

// Issue 11, finding 5: an existing ConfigMap of that name was replaced whoever owned it.
TEST_F(CaptureDiagnosticsTest, AConfigMapOfThatNameThatIsNotTheIncidentsIsLeftAlone) {
  for (const json& owners : {json(nullptr), json::array({{{"apiVersion", "leakguard.io/v1alpha1"},
                                                          {"kind", "LeakIncident"},
                                                          {"name", "checkout-1-20260101"},
                                                          {"uid", "another-incident"}}})}) {
    json theirs = {
        {"metadata", {{"name", "checkout-1-20260101-diag-keep-evidence"}, {"namespace", "shop"}}},
        {"data", {{"config", "theirs"}}}};
    if (!owners.is_null()) theirs["metadata"]["ownerReferences"] = owners;
    fake_.put(ref("", "configmaps"), theirs);
    const auto r = action_.run(ctx(), action_.prepare(ctx()));
    EXPECT_EQ(r.outcome, ActionResult::Outcome::kSkipped) << r.message;
    EXPECT_NE(r.message.find("exists and is not this incident's"), std::string::npos) << r.message;
    EXPECT_EQ((*configMap())["data"]["config"], "theirs");
    EXPECT_FALSE((*configMap())["data"].contains("debug-pprof-heap"));
  }
  EXPECT_EQ(fake_.callCount("replace"), 0u);
}

// Issue 11, finding 5: a hostNetwork pod's IP is the node's.
TEST_F(CaptureDiagnosticsTest, AHostNetworkPodIsRefused) {
  for (bool flag : {true, false}) {
    auto p = pod("checkout-1");
    if (flag) {
      p["spec"]["hostNetwork"] = true;
    } else {
      p["status"]["hostIP"] = p["status"]["podIP"];  // the same thing, told by the addresses
    }
    fake_.put(ref("", "pods"), p);
    const auto plan = action_.prepare(ctx());
    EXPECT_EQ(plan.kind, ActionPlan::Kind::kSkip);
    EXPECT_NE(plan.message.find("uses the host's network"), std::string::npos) << plan.message;
  }
  EXPECT_TRUE(fetcher_.requests.empty());
}

TEST_F(CaptureDiagnosticsTest, VerifyFindsTheIncidentsConfigMapOrNone) {
  auto v = action_.verify(ctx(), 0);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->kind, Verification::Kind::kNotDone) << v->message;
  ASSERT_EQ(action_.run(ctx(), action_.prepare(ctx())).outcome, ActionResult::Outcome::kSucceeded);
  v = action_.verify(ctx(), 0);
  EXPECT_EQ(v->kind, Verification::Kind::kDone) << v->message;
  EXPECT_EQ(v->message, "the capture is kept in configmap/checkout-1-20260101-diag-keep-evidence");
  target_.incidentUid = "another incident";
  EXPECT_EQ(action_.verify(ctx(), 0)->kind, Verification::Kind::kNotDone);
}

TEST_F(CaptureDiagnosticsTest, APodWithoutAnIpIsSkipped) {
  auto p = pod("checkout-1");
  p["status"].erase("podIP");
  fake_.put(ref("", "pods"), p);
  EXPECT_EQ(action_.prepare(ctx()).kind, ActionPlan::Kind::kSkip);
}

}  // namespace
}  // namespace lg::actions
