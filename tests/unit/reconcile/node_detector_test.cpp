#include "controllers/reconcile/node_detector.h"

#include <gtest/gtest.h>

#include <cmath>

#include "tests/fakes/fake_clock.h"

namespace lg::reconcile {
namespace {

constexpr double kStart = 1.8e9;

agent::AgentSample sampleOf(double t, const std::string& uid, const std::string& container,
                            double anon, const std::string& cid = "containerd://a") {
  agent::AgentSample s;
  s.time = t;
  s.id = std::make_shared<agent::ContainerIdentity>(
      agent::ContainerIdentity{uid, "shop", "web-" + uid, container, cid});
  s.running = true;
  s.data.memory.anon = static_cast<std::uint64_t>(anon);
  s.data.memory.shmem = 0;
  s.data.memory.limit = 1000000000;
  s.data.processes.processes = 1;
  s.data.processes.fdsMax = 40;
  s.data.processes.fdsSoftLimit = 1024;
  s.data.processes.threads = 9;
  return s;
}

// uid-1/app: memory and fds by profile 0; uid-2/app: memory by profile 0.
DetectionAssignment twoPods(DetectionProfile profile = {}) {
  return {.profiles = {profile},
          .pods = {{.uid = "uid-1", .containers = {{.name = "app", .profile = {0, 0, -1}}}},
                   {.uid = "uid-2", .containers = {{.name = "app", .profile = {0, -1, -1}}}}}};
}

// A clean leak on uid-1 (flat for an hour, then +200 MB/h) and a flat uid-2, every 15 s.
double feed(NodeDetector& d, double from, int samples) {
  double t = from;
  for (int i = 0; i < samples; ++i, t += 15) {
    const int n = static_cast<int>((t - kStart) / 15);
    const double leak = n > 240 ? (n - 240) * 15.0 / 3600 * 2e8 : 0;
    d.observe(sampleOf(t, "uid-1", "app", 2e8 + leak + 1e6 * std::sin(n)));
    d.observe(sampleOf(t, "uid-2", "app", 2e8 + 1e6 * std::sin(n)));
    d.observe(sampleOf(t, "uid-3", "app", 2e8));  // not assigned
  }
  return t - 15;
}

class NodeDetectorTest : public ::testing::Test {
 protected:
  void at(double t) {
    clock.setWall(Clock::time_point(
        std::chrono::duration_cast<Clock::time_point::duration>(std::chrono::duration<double>(t))));
  }
  lg::testing::FakeClock clock;
  NodeDetector detector{clock, {.node = "node-1", .epoch = "e1"}};
};

TEST_F(NodeDetectorTest, NothingIsFollowedBeforeTheFirstAssignment) {
  feed(detector, kStart, 10);
  EXPECT_EQ(detector.seriesCount(), 0u);
  const auto r = detector.handle({});
  EXPECT_EQ(r.generation, 0u);
  EXPECT_EQ(r.epoch, "e1");
  EXPECT_TRUE(r.pods.empty());
}

TEST_F(NodeDetectorTest, FollowsTheAssignedSeriesAndReportsTheLeak) {
  detector.handle({.generation = 4, .assignment = twoPods()});
  const double last = feed(detector, kStart, 8 * 240);
  EXPECT_EQ(detector.seriesCount(), 3u);  // uid-1 memory and fds, uid-2 memory
  at(last + 5);
  const auto r = detector.handle({.generation = 4});
  EXPECT_EQ(r.generation, 4u);
  EXPECT_EQ(r.node, "node-1");
  ASSERT_EQ(r.pods.size(), 2u);
  EXPECT_EQ(r.pods[0].uid, "uid-1");
  EXPECT_EQ(r.pods[0].lastSample, last);
  ASSERT_EQ(r.findings.size(), 1u) << "the leak of uid-1 only";
  EXPECT_EQ(r.findings[0].first.podUid, "uid-1");
  EXPECT_EQ(r.findings[0].first.resource, detect::Resource::kMemory);
  EXPECT_EQ(r.findings[0].second.pod, "web-uid-1");
  EXPECT_GT(r.findings[0].second.finding->slopePerSecond, 0);

  const auto s = detector.series({"uid-1", "app", detect::Resource::kMemory}, true);
  ASSERT_TRUE(s.view.has_value());
  EXPECT_GT(s.history.size(), 1000u);
  EXPECT_TRUE(detector.series({"uid-1", "app", detect::Resource::kMemory}, false).history.empty());
  EXPECT_FALSE(detector.series({"uid-3", "app", detect::Resource::kMemory}, true).view);
}

TEST_F(NodeDetectorTest, AnAssignmentDropsWhatItNoLongerNamesAndKeepsTheRest) {
  detector.handle({.generation = 1, .assignment = twoPods()});
  feed(detector, kStart, 100);
  const SeriesKey kept{"uid-1", "app", detect::Resource::kMemory};
  const auto before = detector.series(kept, true).history.size();
  // uid-2 goes away; uid-1's memory keeps its settings (the same profile, by value).
  DetectionAssignment next = twoPods();
  next.pods.pop_back();
  detector.handle({.generation = 2, .assignment = next});
  EXPECT_EQ(detector.seriesCount(), 2u);
  EXPECT_FALSE(detector.series({"uid-2", "app", detect::Resource::kMemory}, false).view);
  feed(detector, kStart + 100 * 15, 10);
  EXPECT_EQ(detector.series(kept, true).history.size(), before + 10);
  EXPECT_EQ(detector.generation(), 2u);
}

TEST_F(NodeDetectorTest, NewSettingsStartTheSeriesAfresh) {
  detector.handle({.generation = 1, .assignment = twoPods()});
  feed(detector, kStart, 100);
  detector.handle({.generation = 2, .assignment = twoPods({.margin = 6})});
  feed(detector, kStart + 100 * 15, 10);
  EXPECT_EQ(detector.series({"uid-1", "app", detect::Resource::kMemory}, true).history.size(), 10u);
}

TEST_F(NodeDetectorTest, TheRoutesRefuseWhatTheyCannotUse) {
  auto routes = detectionRoutes(detector, nullptr);
  ASSERT_EQ(routes.size(), 3u);
  agent::HttpRequest post{.method = "POST", .path = "/v1/detection", .body = "{\"generation\":"};
  auto r = routes[0].handler(post);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("not a JSON object"), std::string::npos) << r.body;
  post.body = toJson(DetectionRequest{.generation = 3, .assignment = twoPods()});
  r = routes[0].handler(post);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(parseDetectionReport(r.body)->generation, 3u);
  agent::HttpRequest get{.method = "GET", .path = "/v1/series", .query = "pod=uid-1"};
  EXPECT_EQ(routes[1].handler(get).status, 400);
  get.query = "pod=uid-1&container=app&resource=disk";
  EXPECT_EQ(routes[1].handler(get).status, 400);
  get.query = "pod=uid-1&container=app&resource=memory&history=1";
  r = routes[1].handler(get);
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(parseSeriesReading(r.body).ok());
  agent::HttpRequest sizing{.method = "GET",
                            .path = "/v1/sizing",
                            .query = "pod=uid-1&container=app&resource=memory&minHistory=soon"};
  EXPECT_EQ(routes[2].handler(sizing).status, 400);
  sizing.query = "pod=uid-1&container=app&resource=memory&minHistory=3600";
  r = routes[2].handler(sizing);
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(parseSizingReading(r.body).ok()) << r.body;
}

}  // namespace
}  // namespace lg::reconcile
