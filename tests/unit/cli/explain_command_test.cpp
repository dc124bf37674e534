#include "operator/cli/explain_command.h"

#include <gtest/gtest.h>

#include <sstream>

#include "operator/util/yaml_json.h"
#include "tests/fakes/fake_api_client.h"

namespace lg::cli {
namespace {

const kube::ResourceRef kIncidents{
    .group = "leakguard.io", .version = "v1alpha1", .resource = "leakincidents"};
constexpr double kNow = 1796559000;  // 2026-12-06T12:10:00Z
constexpr double kMi = 1 << 20;

// An incident as the controller writes it: confirmed at 12:00 after 30 minutes of growth at
// 2Mi/min; 200Mi of a 256Mi limit, so the limit comes 28 minutes later.
nlohmann::json incident() {
  auto j = nlohmann::json::parse(R"({
    "apiVersion": "leakguard.io/v1alpha1", "kind": "LeakIncident",
    "metadata": {"name": "checkout-1-20261206", "namespace": "shop"},
    "spec": {"policy": "web", "pod": {"name": "checkout-1", "node": "n1"}, "container": "app",
             "resource": "memory",
             "workload": {"kind": "Deployment", "name": "checkout", "revision": "7d9f"}},
    "status": {"state": "Mitigating", "firstSuspected": "2026-12-06T11:30:00Z",
      "confirmed": "2026-12-06T12:00:00Z",
      "evidence": {"signal": "anon+shmem", "rate": "+2Mi/min",
        "rateInterval": "+1.8Mi/min to +2.2Mi/min", "exhaustion": "in 28m",
        "exhaustionAt": "2026-12-06T12:28:00Z", "exhaustionInterval": "25m-31m",
        "confidence": 0.9987, "value": "200Mi", "limit": "256Mi", "window": "40m",
        "growthModel": "flat-then-linear", "rejectedExplanation": "warm-up-plateau"},
      "usage": {"unit": "bytes", "start": "2026-12-06T11:20:00Z", "stepSeconds": 60,
        "limit": 268435456, "points": [],
        "fit": {"time": "2026-12-06T12:00:00Z", "value": 209715200,
                "ratePerSecond": 34952.53, "ratePerSecondLow": 31457.28,
                "ratePerSecondHigh": 38447.79}},
      "actions": [{"time": "2026-12-06T12:00:05Z", "step": "heap", "action": "captureDiagnostics",
                   "outcome": "Succeeded", "message": "kept 1.2Mi"},
                  {"time": "2026-12-06T12:01:00Z", "step": "restart-3f9a1c", "action": "restart",
                   "outcome": "Started", "message": "evicting checkout-1"}],
      "diagnostics": [{"time": "2026-12-06T12:00:05Z", "source": "GET :6060/debug/pprof/heap",
                       "keptIn": "configmap/checkout-1-20261206-heap", "bytes": 1258291,
                       "outcome": "kept"}]}})");
  auto& points = j["status"]["usage"]["points"];
  for (int i = 0; i <= 40; ++i) {  // 11:20 .. 12:00, flat at 140Mi for 10 minutes, then rising
    const double v = (i < 10 ? 140 : 140 + 2 * (i - 10)) * kMi;
    points.push_back({{"t", i * 60}, {"min", v - kMi}, {"max", v + kMi}});
  }
  return j;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class ExplainCommandTest : public ::testing::Test {
 protected:
  void SetUp() override { api_.put(kIncidents, incident()); }
  int run(ExplainFlags flags, const std::string& name = "checkout-1-20261206") {
    out_.str("");
    err_.str("");
    return runExplain(flags, api_, "shop", name, kNow, out_, err_);
  }
  testing::FakeApiClient api_;
  std::ostringstream out_, err_;
};

TEST_F(ExplainCommandTest, TheEvidenceInWords) {
  ASSERT_EQ(run({}), 0) << err_.str();
  const std::string o = out_.str();
  EXPECT_TRUE(contains(o, "LeakIncident shop/checkout-1-20261206  (policy web)\n")) << o;
  EXPECT_TRUE(contains(o, "  pod       checkout-1, container app, on node n1\n")) << o;
  EXPECT_TRUE(contains(o, "  workload  Deployment/checkout (revision 7d9f)\n")) << o;
  EXPECT_TRUE(contains(o, "  state     Mitigating, confirmed 12:00:00 UTC (10m ago)\n")) << o;
  EXPECT_TRUE(contains(o,
                       "Memory (anon+shmem) grew at +2Mi/min (90% interval +1.8Mi/min to "
                       "+2.2Mi/min), flat at first, then a linear rise, for 30m.\n"))
      << o;
  EXPECT_TRUE(contains(o,
                       "The likeliest harmless explanation, a warm-up levelling off below the "
                       "limit, was rejected with confidence 0.999 over 40m of history.\n"))
      << o;
  EXPECT_TRUE(contains(o,
                       "At 200Mi of its 256Mi limit, it reaches the limit at 12:28 UTC, in 18m "
                       "(90% interval: 12:25:27 to 12:31:06 UTC).\n"))
      << o;
  EXPECT_FALSE(contains(o, "\x1b")) << "no colour unless on a terminal";
}

TEST_F(ExplainCommandTest, ARuntimesLineAndLivesThatEachDiedAreSaid) {
  auto j = incident();
  auto& ev = j["status"]["evidence"];
  ev["line"] = "the JVM heap max, 128Mi (-Xmx128m), plus 42Mi outside the heap";
  ev["limit"] = "170Mi";
  ev["value"] = "120Mi";
  ev["growthModel"] = "dies-each-life";
  ev["rateInterval"] = "+1.8Mi/min to +2.2Mi/min over its lives";
  ev["lives"] = "grew and died at the line in each of its last 2 lives, every 41m";
  ev.erase("rejectedExplanation");
  api_.put(kIncidents, j);
  ASSERT_EQ(run({}), 0) << err_.str();
  const std::string o = out_.str();
  EXPECT_TRUE(contains(o,
                       "Memory (anon+shmem) grew at +2Mi/min (+1.8Mi/min to +2.2Mi/min over its "
                       "lives), as in its lives before, which each ended at the line, for 30m.\n"))
      << o;
  EXPECT_TRUE(contains(o, "It grew and died at the line in each of its last 2 lives, every 41m.\n"))
      << o;
  EXPECT_FALSE(contains(o, "harmless explanation")) << o;
  EXPECT_TRUE(contains(o,
                       "At 120Mi, with the JVM heap max, 128Mi (-Xmx128m), plus 42Mi outside the "
                       "heap (170Mi), it reaches the JVM heap max at 12:28 UTC, in 18m"))
      << o;
}

TEST_F(ExplainCommandTest, TheChartOfTheUsageTrendForecastAndLimit) {
  ASSERT_EQ(run({}), 0) << err_.str();
  const std::string o = out_.str();
  EXPECT_TRUE(contains(o, "256Mi")) << o;   // the limit's row
  EXPECT_TRUE(contains(o, "11:20")) << o;   // the first point's time on the x axis
  EXPECT_TRUE(contains(o, "12:00")) << o;   // the forecast's time
  EXPECT_TRUE(contains(o, "limit")) << o;   // the legend
  EXPECT_TRUE(contains(o, "\u2588")) << o;  // usage bars
  EXPECT_TRUE(contains(o, "\u2591")) << o;  // the forecast's 90% fan
  ExplainFlags colour;
  colour.color = true;
  ASSERT_EQ(run(colour), 0);
  EXPECT_TRUE(contains(out_.str(), "\x1b["));
}

TEST_F(ExplainCommandTest, WhatThePlaybookDidAndCaptured) {
  ASSERT_EQ(run({}), 0) << err_.str();
  const std::string o = out_.str();
  EXPECT_TRUE(contains(o, "What the playbook did:\n")) << o;
  EXPECT_TRUE(contains(o, "12:00:05   heap")) << o;
  EXPECT_TRUE(contains(o, "restart-3f9a1c   restart")) << o;
  EXPECT_TRUE(contains(o, "evicting checkout-1")) << o;
  EXPECT_TRUE(contains(o,
                       "  12:00:05  GET :6060/debug/pprof/heap -> "
                       "configmap/checkout-1-20261206-heap (1.2Mi): kept\n"))
      << o;
}

TEST_F(ExplainCommandTest, JsonAndYamlCarryTheSentencesAndTheUsage) {
  ExplainFlags f;
  f.output = "json";
  ASSERT_EQ(run(f), 0) << err_.str();
  const auto j = nlohmann::json::parse(out_.str());
  EXPECT_EQ(j["incident"], "checkout-1-20261206");
  EXPECT_EQ(j["state"], "Mitigating");
  ASSERT_EQ(j["explanation"].size(), 3u);
  EXPECT_EQ(j["usage"]["points"].size(), 41u);
  EXPECT_EQ(j["actions"].size(), 2u);
  f.output = "yaml";
  ASSERT_EQ(run(f), 0) << err_.str();
  auto y = yamlToJson(out_.str());
  ASSERT_TRUE(y.ok()) << y.error().message;
  EXPECT_EQ(y->at(0), j);
}

TEST_F(ExplainCommandTest, AnIncidentWithoutUsageOrEvidenceStillExplainsWhatItHas) {
  api_.put(kIncidents, nlohmann::json::parse(R"({"metadata": {"name": "bare", "namespace": "shop"},
      "spec": {"pod": {"name": "p"}, "resource": "fds"}, "status": {"state": "Open",
      "usage": {"start": "not a time", "points": "nope"}}})"));
  ASSERT_EQ(run({}, "bare"), 0) << err_.str();
  EXPECT_TRUE(contains(out_.str(), "The incident records no evidence yet.")) << out_.str();
  EXPECT_TRUE(contains(out_.str(), "(no usage history in the incident")) << out_.str();
}

TEST_F(ExplainCommandTest, AMissingIncidentOrARefusalIsAnError) {
  EXPECT_EQ(run({}, "nope"), 1);
  EXPECT_EQ(err_.str(),
            "leakguard explain: no LeakIncident nope in namespace shop (kubectl get "
            "leakincidents -n shop lists them)\n");
  api_.fail("get", Error{"leakincidents is forbidden", 403});
  EXPECT_EQ(run({}), 1);
  EXPECT_TRUE(contains(err_.str(),
                       "cannot get leakincident shop/checkout-1-20261206: "
                       "leakincidents is forbidden"))
      << err_.str();
}

}  // namespace
}  // namespace lg::cli
