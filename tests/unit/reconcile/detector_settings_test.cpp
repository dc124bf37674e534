#include "controllers/reconcile/detector_settings.h"

#include <gtest/gtest.h>

namespace lg::reconcile {
namespace {

PolicyObject policy(const std::string& uid, int64_t generation, double margin) {
  PolicyObject p{.ns = "shop", .name = "checkout", .uid = uid, .generation = generation};
  p.parsed.spec.detection.margin = margin;
  return p;
}

TEST(DetectorSettingsTest, OnePointerPerPolicyAndANewOneWhenDetectionChanges) {
  DetectorSettings s;
  auto a = s.forPolicy(policy("u1", 1, 10));
  EXPECT_EQ(s.forPolicy(policy("u1", 1, 10)), a);
  auto b = s.forPolicy(policy("u1", 2, 20));
  EXPECT_NE(b, a);
  EXPECT_EQ(b->margin, 20);
  auto minGrowth = policy("u1", 3, 20);
  minGrowth.parsed.spec.detection.minGrowthSeconds = 300;
  auto c = s.forPolicy(minGrowth);
  EXPECT_NE(c, b);
  EXPECT_EQ(c->minGrowthSeconds, 300);
}

// An edit that leaves spec.detection alone (the playbook, the sizing) keeps the detectors and
// the usage history: a new pointer would make the hub start every series of the policy afresh.
TEST(DetectorSettingsTest, AnEditOutsideDetectionKeepsThePointer) {
  DetectorSettings s;
  auto a = s.forPolicy(policy("u1", 1, 10));
  auto edited = policy("u1", 2, 10);
  edited.parsed.spec.recommendations.headroomPercent = 30;
  EXPECT_EQ(s.forPolicy(edited), a);
}

// A policy deleted and created again under its old name starts at generation 1 again: keyed by
// name and generation it would get the old policy's settings.
TEST(DetectorSettingsTest, APolicyCreatedAgainUnderItsOldNameGetsItsOwnSettings) {
  DetectorSettings s;
  EXPECT_EQ(s.forPolicy(policy("old-uid", 1, 10))->margin, 10);
  auto again = s.forPolicy(policy("new-uid", 1, 3));
  EXPECT_EQ(again->margin, 3);
}

TEST(DetectorSettingsTest, DeletedPoliciesAreForgotten) {
  DetectorSettings s;
  s.forPolicy(policy("u1", 1, 10));
  s.forPolicy(policy("u2", 1, 10));
  s.forPolicy(policy("u3", 1, 10));
  EXPECT_EQ(s.size(), 3u);
  s.forget("u1");
  EXPECT_EQ(s.size(), 2u);
  s.forget("u2");
  EXPECT_EQ(s.size(), 1u);
  auto kept = s.forPolicy(policy("u3", 1, 10));
  EXPECT_EQ(s.forPolicy(policy("u3", 1, 10)), kept);
}

}  // namespace
}  // namespace lg::reconcile
