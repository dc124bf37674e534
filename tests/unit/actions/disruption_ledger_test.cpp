// The disruption ledger: maxUnavailable held across controllers by claims on the workload.

#include "controllers/actions/disruption_ledger.h"

#include <gtest/gtest.h>

#include "controllers/actions/action_support.h"
#include "tests/unit/actions/action_test_support.h"

namespace lg::actions {
namespace {

using namespace testing;

constexpr double kNow = 1767225600;

DisruptionRequest request(const std::string& pod, int unavailable = 0,
                          const std::string& incident = "") {
  return {.podUid = pod,
          .incident = incident.empty() ? pod + "-20260101" : incident,
          .readyPods = {"p1", "p2", "p3"},
          .unavailable = unavailable,
          .maxUnavailable = 1,
          .now = kNow,
          .ttlSeconds = 120};
}

TEST(DisruptionLedger, AClaimOfAnotherControllerCountsAsUnavailable) {
  auto first = DisruptionLedger::decide(nullptr, request("p1"));
  ASSERT_TRUE(first.granted);
  EXPECT_EQ(first.claims["p1"],
            (nlohmann::json{{"until", isoTime(kNow + 120)}, {"incident", "p1-20260101"}}));
  // The other controller's cache still shows p1 Ready: the claim counts.
  auto second = DisruptionLedger::decide(first.claims, request("p2"));
  EXPECT_FALSE(second.granted);
  EXPECT_EQ(second.why,
            "maxUnavailable 1: 1 pods are unavailable (1 being evicted by another LeakGuard "
            "controller)");
  // Claiming again what is claimed already: granted, nothing to write.
  auto again = DisruptionLedger::decide(first.claims, request("p1"));
  EXPECT_TRUE(again.granted);
  EXPECT_TRUE(again.claims.is_null());
}

// faults_two_e2e: two controllers each opened an incident for one pod (the second before the
// first's status was written) and both evicted it. The pod is claimed once.
TEST(DisruptionLedger, APodClaimedForAnotherIncidentIsNotClaimedAgain) {
  auto first = DisruptionLedger::decide(nullptr, request("p1", 0, "p1-20260101"));
  ASSERT_TRUE(first.granted);
  auto other = DisruptionLedger::decide(first.claims, request("p1", 0, "p1-20260101-2"));
  EXPECT_FALSE(other.granted);
  EXPECT_EQ(other.why, "pod being evicted already, for incident p1-20260101");
  EXPECT_TRUE(other.claims.is_null());
  // A claim an older LeakGuard wrote (the bare time) names nobody: not this incident's either.
  auto old = DisruptionLedger::decide({{"p1", isoTime(kNow + 60)}}, request("p1"));
  EXPECT_FALSE(old.granted);
  EXPECT_EQ(old.why, "pod being evicted already, for another LeakGuard controller");
  // ... and counts like any other while it lasts.
  EXPECT_FALSE(DisruptionLedger::decide({{"p2", isoTime(kNow + 60)}}, request("p1")).granted);
}

TEST(DisruptionLedger, ClaimsOfPodsAlreadyCountedOrExpiredDoNotCountTwice) {
  // p9 is not among the ready pods: its eviction is in this cache's count already.
  nlohmann::json claims = {{"p9", isoTime(kNow + 60)}, {"p2", isoTime(kNow - 1)}};
  auto r = DisruptionLedger::decide(claims, request("p1"));
  ASSERT_TRUE(r.granted) << r.why;
  EXPECT_FALSE(r.claims.contains("p2"));  // expired: dropped
  EXPECT_TRUE(r.claims.contains("p9"));
  // Unavailable already by this cache's count: no claim.
  EXPECT_FALSE(DisruptionLedger::decide(nullptr, request("p1", 1)).granted);
  // Anything in the annotation that is not a claim is none.
  EXPECT_TRUE(DisruptionLedger::decide("not an object", request("p1")).granted);
  EXPECT_TRUE(DisruptionLedger::decide({{"p2", 7}}, request("p1")).granted);
}

class DisruptionLedgerApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_.put(ref("apps", "deployments"),
              json{{"metadata", {{"name", "checkout"}, {"namespace", "shop"}}}, {"spec", {}}});
  }
  ActionContext ctx() {
    return {.api = &fake_,
            .step = &step_,
            .target = &target_,
            .now = kNow,
            .timeout = std::chrono::seconds(5),
            .leakingRevisions = {}};
  }
  lg::testing::FakeApiClient fake_;
  policy::PlaybookStep step_ = step("restart");
  ActionTarget target_ = target();
};

TEST_F(DisruptionLedgerApiTest, TheClaimIsWrittenOnTheWorkloadWithItsResourceVersion) {
  auto r = DisruptionLedger::claim(ctx(), request("p1"));
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->granted);
  const auto d = *fake_.object(ref("apps", "deployments"), "shop", "checkout");
  const auto claims =
      json::parse(d["metadata"]["annotations"]["leakguard.io/disruptions"].get<std::string>());
  EXPECT_TRUE(claims.contains("p1"));
  // A concurrent writer: the first patch conflicts, the claim is decided again on a fresh read.
  fake_.setHook("patch", [&, done = false](const auto&) mutable {
    if (done) return;
    done = true;
    auto w = *fake_.object(ref("apps", "deployments"), "shop", "checkout");
    w["metadata"]["annotations"]["leakguard.io/disruptions"] =
        json{{"p3", isoTime(kNow + 60)}}.dump();
    fake_.put(ref("apps", "deployments"), w);
  });
  auto second = DisruptionLedger::claim(ctx(), request("p2"));
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_FALSE(second->granted) << "p3's claim, written in between, was not seen";
}

TEST_F(DisruptionLedgerApiTest, OwnersItCannotWriteAreGrantedWithoutALedger) {
  target_.workloadKind = "Job";
  auto r = DisruptionLedger::claim(ctx(), request("p1"));
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->granted);
  EXPECT_EQ(fake_.callCount("patch"), 0u);
}

}  // namespace
}  // namespace lg::actions
