#include "controllers/reconcile/detection_wire.h"

#include <gtest/gtest.h>

namespace lg::reconcile {
namespace {

DetectionAssignment assignment() {
  return {.profiles = {{10, 7 * 86400.0, 3600}, {6, 86400, 600}},
          .pods = {
              {.uid = "uid-1",
               .containers = {{.name = "app", .profile = {0, 1, -1}, .runtimeOptionsInSpec = false},
                              {.name = "sidecar", .profile = {-1, -1, 0}}}}}};
}

SeriesView leakingView() {
  SeriesView v{.ns = "shop",
               .pod = "web-1",
               .container = "app",
               .containerId = "containerd://abc",
               .resource = detect::Resource::kMemory,
               .source = Source::kAgent,
               .lastSampleTime = 1.8e9,
               .lastValue = 2.5e8,
               .limit = 5e8,
               .line = 3e8,
               .lineName = "the JVM heap max, 256Mi (-Xmx256m), plus 40Mi outside the heap",
               .restartTimes = {1.79e9}};
  v.finding = detect::Finding{.time = 1.8e9,
                              .value = 2.5e8,
                              .limit = 3e8,
                              .slopePerSecond = 1000,
                              .exhaustionSeconds = 5e4,
                              .confidence = 0.99,
                              .growth = detect::GrowthModel::kHinge,
                              .benign = detect::BenignModel::kWarmup,
                              .level = 3,
                              .pointsUsed = 40,
                              .groupBlocks = 2,
                              .lives = 1,
                              .lifeSeconds = 900};
  return v;
}

TEST(DetectionWire, AnAssignmentComesBackAsSent) {
  const DetectionRequest sent{.generation = 8, .assignment = assignment()};
  auto got = parseDetectionRequest(toJson(sent));
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got->generation, 8u);
  ASSERT_TRUE(got->assignment.has_value());
  EXPECT_EQ(*got->assignment, assignment());
  // Only the generation: keep the assignment.
  auto keep = parseDetectionRequest(toJson(DetectionRequest{.generation = 8}));
  ASSERT_TRUE(keep.ok());
  EXPECT_FALSE(keep->assignment.has_value());
}

TEST(DetectionWire, AReportAndItsFindingsComeBackAsSent) {
  DetectionReport sent{.node = "node-1", .epoch = "e1", .generation = 3, .time = 1.8e9 + 5};
  sent.pods = {{"uid-1", 1.8e9}};
  sent.findings = {{{"uid-1", "app", detect::Resource::kMemory}, leakingView()}};
  auto got = parseDetectionReport(toJson(sent));
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got->node, "node-1");
  EXPECT_EQ(got->generation, 3u);
  ASSERT_EQ(got->pods.size(), 1u);
  EXPECT_EQ(got->pods[0].lastSample, 1.8e9);
  ASSERT_EQ(got->findings.size(), 1u);
  const auto& [key, v] = got->findings[0];
  EXPECT_EQ(key.podUid, "uid-1");
  EXPECT_EQ(v.lineName, leakingView().lineName);
  EXPECT_EQ(v.restartTimes, std::vector<double>{1.79e9});
  EXPECT_EQ(v.source, Source::kAgent);
  ASSERT_TRUE(v.finding.has_value());
  EXPECT_EQ(v.finding->growth, detect::GrowthModel::kHinge);
  EXPECT_EQ(v.finding->benign, detect::BenignModel::kWarmup);
  EXPECT_EQ(v.finding->exhaustionSeconds, 5e4);
  EXPECT_EQ(v.finding->groupBlocks, 2);
  EXPECT_EQ(v.finding->lifeSeconds, 900);
}

TEST(DetectionWire, ASeriesAndItsHistoryComeBackAsSent) {
  const SeriesReading sent{.view = leakingView(), .history = {{1.0, 2.0}, {11.0, 3.5}}};
  auto got = parseSeriesReading(toJson(sent));
  ASSERT_TRUE(got.ok()) << got.error().message;
  ASSERT_TRUE(got->view.has_value());
  EXPECT_EQ(got->history, sent.history);
  auto none = parseSeriesReading(toJson(SeriesReading{}));
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->view.has_value());
  EXPECT_EQ(seriesTarget({"uid-1", "app", detect::Resource::kFds}, true),
            "/v1/series?pod=uid-1&container=app&resource=fds&history=1");
}

TEST(DetectionWire, ASizingSummaryComesBackAsSent) {
  detect::SizingSeries sent{.assessment = {.shape = detect::UsageShape::kWarmup,
                                           .spanSeconds = 7200,
                                           .settledFrom = 1.8e9 + 600},
                            .settled = {{65536.0 * 1000, 12}, {65536.0 * 1001, 3}}};
  auto got = parseSizingReading(toJson(std::optional{sent}));
  ASSERT_TRUE(got.ok()) << got.error().message;
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->assessment.shape, detect::UsageShape::kWarmup);
  EXPECT_EQ((*got)->assessment.settledFrom, 1.8e9 + 600);
  EXPECT_EQ((*got)->settled, sent.settled);
  auto none = parseSizingReading(toJson(std::optional<detect::SizingSeries>{}));
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  auto bad = parseSizingReading(
      R"({"series":{"shape":"steady","spanSeconds":1,"settledFrom":0,"settled":[[1,-2]]}})");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("[value, count]"), std::string::npos);
  // A reply cannot make the controller pool more than a week of samples, nor send them twice.
  bad = parseSizingReading(
      R"({"series":{"shape":"steady","spanSeconds":1,"settledFrom":0,"settled":[[1,600000],[2,600000]]}})");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("more samples than a week"), std::string::npos);
  bad = parseSizingReading(
      R"({"series":{"shape":"steady","spanSeconds":1,"settledFrom":0,"settled":[[2,1],[1,1]]}})");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("not ascending"), std::string::npos);
  EXPECT_EQ(sizingTarget({"u", "app", detect::Resource::kMemory}, 3600),
            "/v1/sizing?pod=u&container=app&resource=memory&minHistory=3600");
}

// What cannot be used is refused, saying what.
TEST(DetectionWire, BadInputIsRefusedNamingWhatIsWrong) {
  const auto error = [](const Result<DetectionRequest>& r) {
    return r.ok() ? std::string("accepted") : r.error().message;
  };
  EXPECT_NE(error(parseDetectionRequest("[1]")).find("not a JSON object"), std::string::npos);
  EXPECT_NE(error(parseDetectionRequest(R"({"generation":-1})")).find("generation"),
            std::string::npos);
  EXPECT_NE(
      error(
          parseDetectionRequest(
              R"({"generation":1,"profiles":[],"pods":[{"uid":"u","containers":[{"name":"a","memory":0}]}]})"))
          .find("memory names no profile"),
      std::string::npos);
  EXPECT_NE(
      error(
          parseDetectionRequest(
              R"({"generation":1,"profiles":[{"margin":10,"horizonSeconds":0,"minGrowthSeconds":60}]})"))
          .find("out of range"),
      std::string::npos);
  EXPECT_NE(error(parseDetectionRequest(R"({"generation":1,"pods":[{"uid":""}]})")).find("uid"),
            std::string::npos);

  auto report = nlohmann::json::parse(toJson(
      DetectionReport{.node = "n",
                      .epoch = "e",
                      .findings = {{{"u", "app", detect::Resource::kMemory}, leakingView()}}}));
  report["findings"][0]["view"]["finding"]["time"] = "soon";
  auto bad = parseDetectionReport(report.dump());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("\"time\" is not a finite number"), std::string::npos);
  report["findings"][0]["view"]["finding"] = nullptr;
  bad = parseDetectionReport(report.dump());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("has no finding"), std::string::npos);
  auto history = parseSeriesReading(R"({"view":null,"history":[[1,2,3]]})");
  ASSERT_FALSE(history.ok());
  EXPECT_NE(history.error().message.find("[time, value]"), std::string::npos);
}

}  // namespace
}  // namespace lg::reconcile
