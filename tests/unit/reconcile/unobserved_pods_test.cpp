#include "controllers/reconcile/unobserved_pods.h"

#include <gtest/gtest.h>

namespace lg::reconcile {
namespace {

using Pod = UnobservedPods::Pod;

// A pod that has just started has had no metrics-server window yet: not reported at once.
TEST(UnobservedPods, APodNeverSampledCountsOnlyAfterTheGrace) {
  UnobservedPods u(300);
  EXPECT_EQ(u.update("shop/checkout", {Pod{.uid = "a"}}, 1000), 0);
  EXPECT_EQ(u.update("shop/checkout", {Pod{.uid = "a"}}, 1299), 0);
  EXPECT_EQ(u.update("shop/checkout", {Pod{.uid = "a"}}, 1300), 1);
}

TEST(UnobservedPods, APodWhoseSamplesStoppedCountsFromItsLastSample) {
  UnobservedPods u(300);
  EXPECT_EQ(u.update("p", {Pod{.uid = "a", .lastSample = 900}}, 1000), 0);
  EXPECT_EQ(u.update("p", {Pod{.uid = "a", .lastSample = 900}}, 1200), 1);
  // Samples again: seen.
  EXPECT_EQ(u.update("p", {Pod{.uid = "a", .lastSample = 1210}}, 1220), 0);
  EXPECT_EQ(u.remembered(), 0u);  // sampled pods need no memory
}

TEST(UnobservedPods, ASampleEndsItAndAPodGoneIsForgotten) {
  UnobservedPods u(300);
  u.update("p", {Pod{.uid = "a"}, Pod{.uid = "b"}}, 1000);
  EXPECT_EQ(u.update("p", {Pod{.uid = "a"}, Pod{.uid = "b"}}, 1400), 2);
  EXPECT_EQ(u.update("p", {Pod{.uid = "a", .lastSample = 1450}, Pod{.uid = "b"}}, 1460), 1);
  EXPECT_EQ(u.remembered(), 1u);
  EXPECT_EQ(u.update("p", {Pod{.uid = "a", .lastSample = 1450}}, 1470), 0);  // b went
  EXPECT_EQ(u.remembered(), 0u);
  // b back under the same uid would start its grace afresh.
  EXPECT_EQ(u.update("p", {Pod{.uid = "b"}}, 1480), 0);
}

TEST(UnobservedPods, PoliciesAreCountedApartAndAPolicyGoneTakesItsPods) {
  UnobservedPods u(300);
  u.update("shop/a", {Pod{.uid = "x"}}, 1000);
  u.update("blog/b", {Pod{.uid = "x"}}, 1200);  // two policies cover one pod
  EXPECT_EQ(u.update("shop/a", {Pod{.uid = "x"}}, 1300), 1);
  EXPECT_EQ(u.update("blog/b", {Pod{.uid = "x"}}, 1300), 0);
  u.forget("shop/a");
  EXPECT_EQ(u.remembered(), 1u);
  u.forget("blog/b");
  EXPECT_EQ(u.remembered(), 0u);
}

}  // namespace
}  // namespace lg::reconcile
