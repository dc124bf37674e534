#include "controllers/sources/pod_metrics.h"

#include <gtest/gtest.h>

namespace lg::sources {
namespace {

nlohmann::json item(const std::string& ns, const std::string& name, nlohmann::json containers,
                    const std::string& ts = "2026-11-25T19:35:18Z",
                    const std::string& window = "15.011s") {
  return {{"metadata", {{"name", name}, {"namespace", ns}}},
          {"timestamp", ts},
          {"window", window},
          {"containers", std::move(containers)}};
}

TEST(PodMetrics, AListBecomesOneSamplePerContainer) {
  nlohmann::json list = {
      {"kind", "PodMetricsList"},
      {"items",
       {item("shop", "web-1",
             {{{"name", "app"}, {"usage", {{"cpu", "250m"}, {"memory", "102400Ki"}}}},
              {{"name", "sidecar"}, {"usage", {{"cpu", "1"}, {"memory", "64Mi"}}}}}),
        item("kube-system", "dns", {{{"name", "coredns"}, {"usage", {{"memory", "20M"}}}}},
             "2026-11-25T19:35:20.5Z", "1m0s")}}};
  const auto parsed = parsePodMetrics(list);
  EXPECT_EQ(parsed.skipped, 0);
  ASSERT_EQ(parsed.usages.size(), 3u);
  const auto& a = parsed.usages[0];
  EXPECT_EQ(a.ns, "shop");
  EXPECT_EQ(a.pod, "web-1");
  EXPECT_EQ(a.container, "app");
  EXPECT_DOUBLE_EQ(a.workingSetBytes, 102400.0 * 1024);
  EXPECT_DOUBLE_EQ(a.cpuCores, 0.25);
  EXPECT_DOUBLE_EQ(a.timestamp, 1795635318.0);  // 2026-11-25T19:35:18Z
  EXPECT_NEAR(a.windowSeconds, 15.011, 1e-9);
  EXPECT_DOUBLE_EQ(parsed.usages[1].workingSetBytes, 64.0 * 1024 * 1024);
  EXPECT_DOUBLE_EQ(parsed.usages[1].cpuCores, 1.0);
  EXPECT_EQ(parsed.usages[2].container, "coredns");
  EXPECT_DOUBLE_EQ(parsed.usages[2].workingSetBytes, 20e6);
  EXPECT_DOUBLE_EQ(parsed.usages[2].cpuCores, 0.0);  // absent
  EXPECT_DOUBLE_EQ(parsed.usages[2].timestamp, 1795635320.5);
  EXPECT_DOUBLE_EQ(parsed.usages[2].windowSeconds, 60.0);
}

TEST(PodMetrics, MalformedItemsAndContainersAreSkippedAndCounted) {
  nlohmann::json list = {
      {"items",
       {
           item("shop", "ok", {{{"name", "app"}, {"usage", {{"memory", "1Mi"}}}}}),
           {{"metadata", {{"namespace", "shop"}}},
            {"containers", nlohmann::json::array()}},  // no name
           {{"metadata", {{"name", "no-containers"}}}, {"timestamp", "2026-11-25T19:35:18Z"}},
           item("shop", "bad-time", {{{"name", "app"}, {"usage", {{"memory", "1Mi"}}}}},
                "yesterday"),
           {{"metadata", {{"name", "no-time"}}}, {"containers", nlohmann::json::array()}},
           item("shop", "mixed",
                {{{"name", "good"}, {"usage", {{"memory", "2Mi"}}}},
                 {{"name", "no-usage"}},
                 {{"name", "bad-memory"}, {"usage", {{"memory", "12Qi"}}}},
                 {{"name", "negative"}, {"usage", {{"memory", "-5Mi"}}}},
                 {{"name", "number"}, {"usage", {{"memory", 5}}}},
                 "junk"}),
           42,
       }}};
  const auto parsed = parsePodMetrics(list);
  ASSERT_EQ(parsed.usages.size(), 2u);
  EXPECT_EQ(parsed.usages[0].pod, "ok");
  EXPECT_EQ(parsed.usages[1].container, "good");
  // no name, no containers, bad time, no time, 42; then 5 bad containers of "mixed"
  EXPECT_EQ(parsed.skipped, 10);
}

TEST(PodMetrics, OneItemOrABareArray) {
  const auto one = parsePodMetrics(item("a", "p", {{{"name", "c"}, {"usage", {{"memory", "1"}}}}}));
  ASSERT_EQ(one.usages.size(), 1u);
  EXPECT_DOUBLE_EQ(one.usages[0].workingSetBytes, 1);
  const auto arr = parsePodMetrics(nlohmann::json::array(
      {item("a", "p", {{{"name", "c"}, {"usage", {{"memory", "1"}}}}}), "x"}));
  EXPECT_EQ(arr.usages.size(), 1u);
  EXPECT_EQ(arr.skipped, 1);
  EXPECT_EQ(parsePodMetrics(nullptr).skipped, 1);
}

}  // namespace
}  // namespace lg::sources
