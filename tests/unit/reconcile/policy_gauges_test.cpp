#include "controllers/reconcile/policy_gauges.h"

#include <gtest/gtest.h>

namespace lg::reconcile {
namespace {

bool has(const std::string& out, const std::string& line) {
  return out.find(line + "\n") != std::string::npos;
}

TEST(PolicyGauges, ReadyAndEachStateOfPodsAreSeries) {
  runtime::MetricsRegistry registry;
  PolicyGauges g(registry);
  g.record({.ns = "shop",
            .name = "checkout",
            .ready = true,
            .matched = 3,
            .leaking = 1,
            .unobserved = 2,
            .incidents = {{"Open", 1}, {"Resolved", 4}},
            .escalationsLastHour = 2,
            .escalationBudget = 4});
  g.record({.ns = "blog", .name = "checkout", .ready = false});
  const std::string out = registry.render();
  EXPECT_TRUE(has(out, R"(leakguard_policy_ready{namespace="shop",policy="checkout"} 1)")) << out;
  EXPECT_TRUE(has(out, R"(leakguard_policy_ready{namespace="blog",policy="checkout"} 0)")) << out;
  EXPECT_TRUE(
      has(out, R"(leakguard_policy_pods{namespace="shop",policy="checkout",state="matched"} 3)"))
      << out;
  EXPECT_TRUE(
      has(out, R"(leakguard_policy_pods{namespace="shop",policy="checkout",state="leaking"} 1)"))
      << out;
  EXPECT_TRUE(
      has(out, R"(leakguard_policy_pods{namespace="shop",policy="checkout",state="unobserved"} 2)"))
      << out;
  EXPECT_TRUE(
      has(out, R"(leakguard_policy_escalations_last_hour{namespace="shop",policy="checkout"} 2)"))
      << out;
  EXPECT_TRUE(
      has(out, R"(leakguard_policy_escalation_budget{namespace="shop",policy="checkout"} 4)"))
      << out;
  // Every state has a series, 0 when it has no incident, so a sum by state never lacks one.
  for (const auto& [state, n] : std::vector<std::pair<std::string, int>>{
           {"Open", 1}, {"Mitigating", 0}, {"Resolved", 4}, {"Abandoned", 0}})
    EXPECT_TRUE(
        has(out, R"(leakguard_policy_incidents{namespace="shop",policy="checkout",state=")" +
                     state + "\"} " + std::to_string(n)))
        << state << "\n"
        << out;
}

TEST(PolicyGauges, APolicyGoneTakesItsSeriesAndOnlyItsOwn) {
  runtime::MetricsRegistry registry;
  PolicyGauges g(registry);
  g.record({.ns = "shop", .name = "checkout", .ready = true, .matched = 3});
  g.record({.ns = "blog", .name = "checkout", .ready = true, .matched = 1});
  g.forget("shop", "checkout");
  const std::string out = registry.render();
  EXPECT_EQ(out.find("namespace=\"shop\""), std::string::npos) << out;
  EXPECT_TRUE(has(out, R"(leakguard_policy_ready{namespace="blog",policy="checkout"} 1)")) << out;
  EXPECT_TRUE(
      has(out, R"(leakguard_policy_pods{namespace="blog",policy="checkout",state="matched"} 1)"))
      << out;
}

}  // namespace
}  // namespace lg::reconcile
