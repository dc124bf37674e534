#include "controllers/detect/usage_digest.h"

#include <gtest/gtest.h>

#include <cmath>

namespace lg::detect {
namespace {

std::vector<std::pair<double, double>> series(int n, double start, double step) {
  std::vector<std::pair<double, double>> s;
  for (int i = 0; i < n; ++i)
    s.emplace_back(start + i * step, 100 + i + 10 * (i % 2));  // rising, zig-zagging by 10
  return s;
}

TEST(UsageDigest, BucketsKeepTheLowestAndHighestSample) {
  const auto s = series(1000, 1.8e9 + 3, 15);  // about 4 h
  const auto d = digestUsage(s, 0, 2e9, 48);
  ASSERT_FALSE(d.points.empty());
  EXPECT_LE(d.points.size(), 48u);
  EXPECT_GE(d.points.size(), 40u);
  EXPECT_EQ(std::fmod(d.stepSeconds, 10), 0);
  EXPECT_EQ(d.start, 1.8e9);  // the first sample's time, down to 10 s
  EXPECT_EQ(d.points.front().t, d.start);
  EXPECT_EQ(d.points.front().min, 100);
  EXPECT_EQ(d.points.back().max, 100 + 999 + 10);  // the last sample (odd: zigged up)
  for (std::size_t i = 0; i < d.points.size(); ++i) {
    EXPECT_LT(d.points[i].min, d.points[i].max);  // each bucket saw the zig-zag
    if (i > 0) {
      EXPECT_GT(d.points[i].t, d.points[i - 1].t);
    }
  }
}

TEST(UsageDigest, OnlySamplesInsideTheRangeCount) {
  const auto s = series(100, 1000, 10);  // t 1000..1990
  const auto d = digestUsage(s, 1500, 1600, 48);
  ASSERT_EQ(d.points.size(), 11u);  // 1500..1600, one 10-s bucket per sample
  EXPECT_EQ(d.start, 1500);
  EXPECT_EQ(d.stepSeconds, 10);
  EXPECT_TRUE(digestUsage(s, 5000, 6000, 48).points.empty());
  EXPECT_TRUE(digestUsage(s, 1600, 1500, 48).points.empty());
  EXPECT_TRUE(digestUsage(s, 0, 5000, 0).points.empty());
}

TEST(UsageDigest, NonFiniteSamplesAreIgnored) {
  std::vector<std::pair<double, double>> s{{10, 1}, {20, NAN}, {30, INFINITY}, {NAN, 5}, {40, 2}};
  const auto d = digestUsage(s, 0, 100, 48);
  ASSERT_EQ(d.points.size(), 2u);
  EXPECT_EQ(d.points[0].max, 1);
  EXPECT_EQ(d.points[1].min, 2);
}

}  // namespace
}  // namespace lg::detect
