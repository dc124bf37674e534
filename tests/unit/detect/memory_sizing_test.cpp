#include "controllers/detect/memory_sizing.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>

namespace lg::detect {
namespace {

constexpr double kMi = 1 << 20;
using Series = std::vector<std::pair<double, double>>;

// A sample every 15 s for `seconds`, of f(seconds since the start).
Series make(double seconds, const std::function<double(double)>& f, double start = 1.8e9) {
  Series s;
  for (double t = 0; t <= seconds; t += 15)
    s.emplace_back(start + t, f(t));
  return s;
}
double noise(double t) {
  return 2 * kMi * std::sin(t * 0.37) * std::cos(t * 0.011);
}

TEST(MemorySizing, SteadyUsageIsSizedNearItsUsePlusHeadroom) {
  const auto s = make(2 * 3600, [](double t) { return 100 * kMi + noise(t); });
  EXPECT_EQ(assessUsage(s, {}).shape, UsageShape::kSteady);
  const auto r = recommendMemory({s}, {});
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.shape, UsageShape::kSteady);
  EXPECT_EQ(r.seriesUsed, 1);
  // p90 of 98..102Mi, +15%, rounded up to a MiB.
  EXPECT_GE(r.requestBytes, 100 * kMi * 1.15);
  EXPECT_LE(r.requestBytes, 102 * kMi * 1.15 + kMi);
  EXPECT_GE(r.limitBytes, r.peakBytes * 1.15);
  EXPECT_LE(r.limitBytes, 102 * kMi * 1.15 + kMi);
  EXPECT_EQ(std::fmod(r.requestBytes, kMi), 0);
  EXPECT_EQ(std::fmod(r.limitBytes, kMi), 0);
  EXPECT_NEAR(r.observedSeconds, 7200, 15);
}

TEST(MemorySizing, AWarmupIsSizedFromItsPlateauNotItsRamp) {
  // 40Mi rising to a 100Mi plateau in the first 30 minutes, then flat for 90.
  const auto s = make(2 * 3600, [](double t) {
    return 40 * kMi + 60 * kMi * (1 - std::exp(-t / 400)) + noise(t) / 4;
  });
  const auto a = assessUsage(s, {});
  EXPECT_EQ(a.shape, UsageShape::kWarmup);
  EXPECT_GT(a.settledFrom - s.front().first, 600);  // the ramp is left out
  EXPECT_LT(a.settledFrom - s.front().first, 1800);

  const auto r = recommendMemory({s}, {.requestQuantile = 0.5, .headroom = 0.15});
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.shape, UsageShape::kWarmup);
  // Even the median sits on the plateau: the ramp does not pull it down.
  EXPECT_GE(r.quantileBytes, 96 * kMi);
  EXPECT_NEAR(r.requestBytes, 100 * kMi * 1.15, 3 * kMi);
}

TEST(MemorySizing, UsageStillRisingGetsNoSize) {
  // A warm-up still short of its plateau, and a leak: both still rising at the end.
  const auto warming = make(3600, [](double t) { return 40 * kMi + 60 * kMi * t / 3600; });
  const auto leak = make(3 * 3600, [](double t) { return 50 * kMi + 8 * kMi * t / 60 + noise(t); });
  for (const auto& s : {warming, leak}) {
    EXPECT_EQ(assessUsage(s, {}).shape, UsageShape::kStillRising);
    const auto r = recommendMemory({s}, {});
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.shape, UsageShape::kStillRising);
    EXPECT_EQ(r.seriesRising, 1);
    EXPECT_EQ(r.requestBytes, 0);
  }
}

TEST(MemorySizing, ASawtoothIsSizedToItsPeaks) {
  // A GC sawtooth between 80 and 120Mi every 5 minutes.
  const auto s =
      make(2 * 3600, [](double t) { return 80 * kMi + 40 * kMi * std::fmod(t, 300) / 300; });
  EXPECT_EQ(assessUsage(s, {}).shape, UsageShape::kSteady);
  const auto r = recommendMemory({s}, {});
  ASSERT_TRUE(r.ok);
  EXPECT_GE(r.limitBytes, 118 * kMi * 1.15);  // the highest sample: 285 s into a tooth
  EXPECT_LE(r.limitBytes, 120 * kMi * 1.15 + kMi);
  EXPECT_LT(r.requestBytes, r.limitBytes);
}

TEST(MemorySizing, TooLittleHistoryGetsNoSize) {
  const auto s = make(1800, [](double t) { return 100 * kMi + noise(t); });
  const auto r = recommendMemory({s}, {.minHistorySeconds = 3600});
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.shape, UsageShape::kTooShort);
  EXPECT_EQ(r.seriesTooShort, 1);
  EXPECT_NEAR(r.longestSeconds, 1800, 15);
  EXPECT_FALSE(recommendMemory({}, {}).ok);
  EXPECT_EQ(assessUsage(Series{{1, 2}}, {}).shape, UsageShape::kTooShort);
}

TEST(MemorySizing, PodsStillRisingAreLeftOutOfTheirWorkloadsSize) {
  const auto settled = make(2 * 3600, [](double t) { return 100 * kMi + noise(t); });
  const auto rising = make(2 * 3600, [](double t) { return 100 * kMi + 50 * kMi * t / 7200; });
  const auto r = recommendMemory({settled, rising}, {});
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.seriesUsed, 1);
  EXPECT_EQ(r.seriesRising, 1);
  EXPECT_LE(r.peakBytes, 103 * kMi);
}

TEST(MemorySizing, ALimitNeverBelowTheRequest) {
  const auto flat = make(2 * 3600, [](double) { return 64 * kMi; });
  const auto r = recommendMemory({flat}, {.requestQuantile = 0.99, .headroom = 0});
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.requestBytes, 64 * kMi);
  EXPECT_EQ(r.limitBytes, 64 * kMi);
}

TEST(MemorySizing, WhatARaiseBuys) {
  // 8Mi a minute against 256Mi: +128Mi delays the OOM kill by 16 minutes.
  auto e = raiseEffect(256 * kMi, 8 * kMi / 60);
  EXPECT_EQ(e.raiseBytes, 128 * kMi);
  EXPECT_NEAR(e.delaySeconds, 960, 1e-6);
  EXPECT_EQ(raiseEffect(300 * kMi, 1).raiseBytes, 128 * kMi);
  EXPECT_EQ(raiseEffect(3 * 1024 * kMi, 1).raiseBytes, 1024 * kMi);
  EXPECT_EQ(raiseEffect(kMi, 1).raiseBytes, kMi);
  EXPECT_EQ(raiseEffect(256 * kMi, 0).delaySeconds, 0);
  EXPECT_EQ(raiseEffect(256 * kMi, NAN).delaySeconds, 0);
}

}  // namespace
// What an agent sends for sizing: the settled values with their counts, ascending; the
// recommendation from such summaries is the one from the samples.
TEST(MemorySizing, ASummaryKeepsTheSettledValuesAndGivesTheSameRecommendation) {
  std::vector<std::pair<double, double>> s;
  for (int i = 0; i < 720; ++i)
    s.emplace_back(1.8e9 + i * 10.0, 65536.0 * (1000 + i % 4));
  const SizingOptions opts{.minHistorySeconds = 3600};
  const SizingSeries sum = summarizeForSizing(s, opts);
  ASSERT_EQ(sum.assessment.shape, UsageShape::kSteady);
  ASSERT_EQ(sum.settled.size(), 4u);
  EXPECT_EQ(sum.settled[0].first, 65536.0 * 1000);
  EXPECT_EQ(sum.settled[0].second, 180u);
  const auto a = recommendMemory({s}, opts);
  const auto b = recommendFromSummaries({sum}, opts);
  EXPECT_TRUE(a.ok);
  EXPECT_EQ(a.requestBytes, b.requestBytes);
  EXPECT_EQ(a.limitBytes, b.limitBytes);
  EXPECT_TRUE(
      summarizeForSizing(std::vector<std::pair<double, double>>(s.begin(), s.begin() + 5), opts)
          .settled.empty())
      << "too short: nothing settled";
}

}  // namespace lg::detect
