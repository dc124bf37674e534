#include "controllers/reconcile/usage_hub.h"

#include <gtest/gtest.h>

#include <cmath>

namespace lg::reconcile {
namespace {

UsageSample sample(double t, double v, Source src = Source::kMetricsServer,
                   const std::string& cid = "containerd://a") {
  return {.podUid = "uid-1",
          .ns = "shop",
          .pod = "checkout-1",
          .container = "app",
          .containerId = cid,
          .time = t,
          .resource = detect::Resource::kMemory,
          .value = v,
          .limit = 1e9,
          .source = src};
}

// Feeds a clean linear leak (flat for an hour, then +200 MB/h) until the first finding.
std::optional<detect::Finding> feedLeak(UsageHub& hub, double start = 1.7e9,
                                        const std::string& cid = "containerd://a") {
  std::optional<detect::Finding> got;
  hub.onFinding([&](const SeriesKey&, const SeriesView&, const detect::Finding& f) {
    if (!got) got = f;
  });
  for (int i = 0; i < 8 * 240 && !got; ++i) {
    const double t = start + i * 15.0;
    const double v = 2e8 + (i > 240 ? (i - 240) * 15.0 / 3600 * 2e8 : 0) + 1e6 * std::sin(i);
    hub.ingest(sample(t, v, Source::kMetricsServer, cid));
  }
  return got;
}

TEST(UsageHub, RaisesFindingsThroughTheCallback) {
  UsageHub hub;
  auto f = feedLeak(hub);
  ASSERT_TRUE(f.has_value());
  const SeriesKey key{"uid-1", "app", detect::Resource::kMemory};
  auto v = hub.view(key);
  ASSERT_TRUE(v.has_value());
  EXPECT_TRUE(v->finding.has_value());
  EXPECT_EQ(v->ns, "shop");
  EXPECT_EQ(hub.currentFindings("uid-1", f->time + 60).size(), 1u);
  EXPECT_TRUE(hub.currentFindings("uid-1", f->time + 7200).empty());  // past the TTL
  EXPECT_TRUE(hub.currentFindings("uid-2", f->time).empty());
  EXPECT_GT(hub.history(key).size(), 100u);
}

TEST(UsageHub, StaleAndDuplicateSamplesAreIgnored) {
  UsageHub hub;
  EXPECT_TRUE(hub.ingest(sample(100, 1)));
  EXPECT_FALSE(hub.ingest(sample(100, 2)));
  EXPECT_FALSE(hub.ingest(sample(50, 2)));
  EXPECT_FALSE(hub.ingest(sample(NAN, 2)));
  EXPECT_TRUE(hub.ingest(sample(115, 2)));
  EXPECT_EQ(hub.view({"uid-1", "app", detect::Resource::kMemory})->lastValue, 2);
}

// What the unobserved-pods count reads: the newest sample over all of a pod's series.
TEST(UsageHub, LastSampleTimeIsThePodsNewestOverItsSeries) {
  UsageHub hub;
  EXPECT_FALSE(hub.lastSampleTime("uid-1").has_value());
  hub.ingest(sample(100, 1));
  UsageSample fds = sample(130, 5);
  fds.resource = detect::Resource::kFds;
  hub.ingest(fds);
  hub.ingest(sample(115, 2));
  EXPECT_EQ(hub.lastSampleTime("uid-1"), 130);
  EXPECT_FALSE(hub.lastSampleTime("uid-2").has_value());
  hub.forgetPod("uid-1");
  EXPECT_FALSE(hub.lastSampleTime("uid-1").has_value());
}

TEST(UsageHub, AgentSamplesTakePrecedenceUntilStale) {
  UsageHub hub({.agentStaleSeconds = 300});
  EXPECT_TRUE(hub.ingest(sample(100, 10, Source::kMetricsServer)));
  EXPECT_TRUE(hub.ingest(sample(110, 20, Source::kAgent)));
  EXPECT_FALSE(hub.ingest(sample(120, 30, Source::kMetricsServer)));  // agent is fresh
  EXPECT_EQ(hub.view({"uid-1", "app", detect::Resource::kMemory})->source, Source::kAgent);
  EXPECT_TRUE(hub.ingest(sample(500, 40, Source::kMetricsServer)));  // agent silent 390 s
  EXPECT_EQ(hub.view({"uid-1", "app", detect::Resource::kMemory})->source, Source::kMetricsServer);
}

TEST(UsageHub, ANewContainerIdStartsAfreshAndCountsARestart) {
  UsageHub hub;
  auto f = feedLeak(hub);
  ASSERT_TRUE(f.has_value());
  hub.ingest(sample(f->time + 15, 2e8, Source::kMetricsServer, "containerd://b"));
  auto v = hub.view({"uid-1", "app", detect::Resource::kMemory});
  EXPECT_FALSE(v->finding.has_value());
  ASSERT_EQ(v->restartTimes.size(), 1u);
  EXPECT_EQ(v->restartTimes[0], f->time + 15);
  EXPECT_EQ(v->containerId, "containerd://b");
}

// An agent that lists pods from the kubelet's log links reports bare ids; metrics-server the
// API's "containerd://<id>". The same instance either way: no restart, the finding stays.
TEST(UsageHub, AContainerIdWithOrWithoutItsRuntimeSchemeIsTheSameInstance) {
  EXPECT_FALSE(differentContainer("containerd://a", "a"));
  EXPECT_FALSE(differentContainer("a", "cri-o://a"));
  EXPECT_FALSE(differentContainer("", "containerd://a"));
  EXPECT_TRUE(differentContainer("containerd://a", "b"));
  UsageHub hub;
  auto f = feedLeak(hub);
  ASSERT_TRUE(f.has_value());
  hub.ingest(sample(f->time + 15, 2e8 + 1e7, Source::kAgent, "a"));
  auto v = hub.view({"uid-1", "app", detect::Resource::kMemory});
  EXPECT_TRUE(v->restartTimes.empty());
  hub.ingest(sample(f->time + 30, 2e8, Source::kAgent, "b"));
  v = hub.view({"uid-1", "app", detect::Resource::kMemory});
  EXPECT_EQ(v->restartTimes.size(), 1u);
}

TEST(UsageHub, UncoveredPodsAreNotTracked) {
  UsageHub hub({.optionsFor = [](const UsageSample& s) {
    return s.pod == "covered" ? detect::LeakDetector::defaultOptions() : nullptr;
  }});
  auto s = sample(100, 1);
  EXPECT_FALSE(hub.ingest(s));
  s.pod = "covered";
  EXPECT_TRUE(hub.ingest(s));
  EXPECT_EQ(hub.seriesCount(), 1u);
}

TEST(UsageHub, NewDetectionSettingsStartTheSeriesAfresh) {
  auto a = std::make_shared<const detect::DetectorOptions>();
  auto b = std::make_shared<const detect::DetectorOptions>();
  std::shared_ptr<const detect::DetectorOptions> current = a;
  UsageHub hub({.optionsFor = [&](const UsageSample&) { return current; }});
  for (int i = 0; i < 100; ++i)
    hub.ingest(sample(100 + i * 15.0, 1e8));
  const SeriesKey key{"uid-1", "app", detect::Resource::kMemory};
  EXPECT_EQ(hub.history(key).size(), 100u);
  current = b;
  hub.ingest(sample(100 + 100 * 15.0, 1e8));
  EXPECT_EQ(hub.history(key).size(), 1u);
}

// A JVM with a 128Mi heap max in a 512Mi container: 42Mi at rest for 10 minutes, then leaking
// 1Mi a minute. It dies near 170Mi (the heap max plus what lies outside the heap), not at 512Mi.
TEST(UsageHub, AJvmsLeakIsJudgedAgainstTheLineWhereItDiesNotTheLimit) {
  constexpr double kMiB = 1024.0 * 1024.0;
  UsageHub hub;
  std::optional<detect::Finding> got;
  hub.onFinding([&](const SeriesKey&, const SeriesView&, const detect::Finding& f) {
    if (!got) got = f;
  });
  const double start = 1.7e9;
  double diesAt = 0;
  for (int i = 0; i < 240 * 4 && !got; ++i) {
    const double t = start + i * 15.0;
    const double grown = i > 40 ? (i - 40) * 15.0 / 60 * kMiB : 0;
    auto s = sample(t, 42 * kMiB + grown + 0.2 * kMiB * std::sin(i), Source::kAgent);
    s.limit = 512 * kMiB;
    s.runtimeHeapMax = 128 * kMiB;
    s.runtime = "JVM";
    s.runtimeHeapSetBy = "the JVM's default: MaxRAMPercentage 25% of the 512Mi limit";
    hub.ingest(s);
    diesAt = start + 40 * 15.0 + 128 * 60.0;  // 128Mi of growth at 1Mi a minute
  }
  ASSERT_TRUE(got.has_value()) << "the leak was not found";
  EXPECT_NEAR(got->limit / kMiB, 128 + 41.8, 0.5);
  const double forecast = got->time + got->exhaustionSeconds;
  EXPECT_NEAR((forecast - got->time) / (diesAt - got->time), 1.0, 0.10)
      << "forecast " << got->exhaustionSeconds << " s, died " << diesAt - got->time << " s later";
  const auto v = hub.view({"uid-1", "app", detect::Resource::kMemory});
  ASSERT_TRUE(v);
  EXPECT_EQ(v->limit, 512 * kMiB);
  EXPECT_EQ(v->lineName,
            "the JVM heap max, 128Mi (the JVM's default: MaxRAMPercentage 25% of the 512Mi "
            "limit), plus 41.8Mi outside the heap");
}

// A leak too fast for the detector (each life about 22 minutes, minGrowth is an hour) that
// dies at its limit and restarts: found in its third life, from the two before.
TEST(UsageHub, AContainerThatGrowsAndDiesInEachLifeIsFoundInItsNextOne) {
  constexpr double kMiB = 1024.0 * 1024.0;
  UsageHub hub;
  std::vector<detect::Finding> found;
  hub.onFinding(
      [&](const SeriesKey&, const SeriesView&, const detect::Finding& f) { found.push_back(f); });
  double t = 1.7e9;
  double thirdStart = 0;
  for (const char* id : {"containerd://a", "containerd://b", "containerd://c"}) {
    if (std::string(id) == "containerd://c") thirdStart = t;
    for (int i = 0; i < 90; ++i, t += 15) {
      const double v = i == 0 ? kMiB : 40 * kMiB + i * 15.0 * (200 * kMiB / 1320);
      auto s = sample(t, v, Source::kAgent, id);
      s.limit = 256 * kMiB;
      hub.ingest(s);
    }
    if (std::string(id) != "containerd://c") {
      EXPECT_TRUE(found.empty()) << "found in a life before the third";
    }
  }
  ASSERT_FALSE(found.empty());
  EXPECT_EQ(found.front().growth, detect::GrowthModel::kDiesEachLife);
  EXPECT_LT(found.front().time - thirdStart, 0.4 * 1335);
  // Renewed at most once a minute while the life goes on.
  EXPECT_LE(found.size(), static_cast<std::size_t>((t - found.front().time) / 60) + 1);
  const auto v = hub.view({"uid-1", "app", detect::Resource::kMemory});
  ASSERT_TRUE(v);
  EXPECT_EQ(v->restartTimes.size(), 2u);
}

TEST(UsageHub, ARuntimeLineAtOrAboveTheLimitIsNotTheLine) {
  UsageHub hub;
  for (int i = 0; i < 10; ++i) {
    auto s = sample(1.7e9 + i * 15.0, 5e8, Source::kAgent);
    s.runtimeHeapMax = 9e8;  // -Xmx above the limit: the kernel kills it first
    s.runtime = "JVM";
    hub.ingest(s);
  }
  const auto v = hub.view({"uid-1", "app", detect::Resource::kMemory});
  ASSERT_TRUE(v);
  EXPECT_EQ(v->line, 0);
  EXPECT_TRUE(v->lineName.empty());
}

TEST(UsageHub, ForgetsPodsAndIdleSeries) {
  UsageHub hub;
  hub.ingest(sample(100, 1));
  auto other = sample(100, 1);
  other.podUid = "uid-2";
  hub.ingest(other);
  EXPECT_EQ(hub.seriesCount(), 2u);
  hub.forgetPod("uid-1");
  EXPECT_EQ(hub.seriesCount(), 1u);
  EXPECT_EQ(hub.forgetIdle(101), 1u);
  EXPECT_EQ(hub.seriesCount(), 0u);
}

// A controller over its memory limit would lose every series, again and again: past maxSeries
// a new series is refused and counted, the followed ones go on, and a freed slot is taken.
TEST(UsageHub, PastMaxSeriesNewSeriesAreRefusedAndCounted) {
  UsageHub hub({.maxSeries = 2});
  auto pod = [](const std::string& uid, double t) {
    auto s = sample(t, 1);
    s.podUid = uid;
    return s;
  };
  EXPECT_TRUE(hub.ingest(pod("uid-1", 100)));
  EXPECT_TRUE(hub.ingest(pod("uid-2", 100)));
  EXPECT_FALSE(hub.ingest(pod("uid-3", 100)));
  EXPECT_FALSE(hub.ingest(pod("uid-3", 115)));
  EXPECT_EQ(hub.refusedSamples(), 2u);
  EXPECT_EQ(hub.seriesCount(), 2u);
  EXPECT_FALSE(hub.lastSampleTime("uid-3").has_value());  // counted as unobserved
  EXPECT_TRUE(hub.ingest(pod("uid-1", 115)));             // followed series go on
  EXPECT_EQ(hub.view({"uid-1", "app", detect::Resource::kMemory})->lastValue, 1);
  hub.forgetPod("uid-2");
  EXPECT_TRUE(hub.ingest(pod("uid-3", 130)));
  EXPECT_FALSE(hub.ingest(pod("uid-2", 130)));
  EXPECT_EQ(hub.refusedSamples(), 3u);
}

TEST(UsageHub, MemoryPerSeriesIsBounded) {
  UsageHub hub;
  for (int c = 0; c < 100; ++c) {
    auto s = sample(0, 1);
    s.podUid = "uid-" + std::to_string(c);
    for (int i = 0; i < 1440; ++i) {  // 6 hours at 15 s
      s.time = 1.7e9 + i * 15.0;
      s.value = 3e8 + (i % 17) * 1e6;
      hub.ingest(s);
    }
  }
  const double perSeries = static_cast<double>(hub.memoryBytes()) / 100;
  EXPECT_LT(perSeries, 6000) << perSeries;  // detector ~1.9 KB + 6 h of history ~1-2 KB
}

}  // namespace
}  // namespace lg::reconcile
