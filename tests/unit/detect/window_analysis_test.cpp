#include "controllers/detect/window_analysis.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace lg::detect {
namespace {

struct Window {
  std::vector<double> x, y;
};

// 48 points over `span` hours ending at 0, y = f(x) plus noise of sd 0.003 of the limit.
template <class F>
Window make(double span, F f, uint64_t seed = 7) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> noise(0, 0.003);
  Window w;
  for (int i = 0; i < 48; ++i) {
    const double x = -span + span * i / 47.0;
    w.x.push_back(x);
    w.y.push_back(f(x) + noise(rng));
  }
  return w;
}

TEST(WindowAnalysis, SteadyGrowthBeatsEveryBenignModel) {
  const Window w = make(6, [](double x) { return 0.5 + 0.03 * x; });
  const WindowVerdict v = analyzeWindow(w.x, w.y, {});
  ASSERT_EQ(v.kind, WindowVerdict::Kind::kCompared);
  EXPECT_GT(v.margin, 10);
  EXPECT_NEAR(v.slope, 0.03, 0.003);
}

TEST(WindowAnalysis, FlatThenRisingIsAHinge) {
  const Window w = make(8, [](double x) { return 0.4 + (x > -3 ? 0.04 * (x + 3) : 0); });
  const WindowVerdict v = analyzeWindow(w.x, w.y, {});
  EXPECT_EQ(v.growth, GrowthModel::kHinge);
  EXPECT_GT(v.margin, 10);
  EXPECT_NEAR(v.growthHours, 3, 0.5);
}

TEST(WindowAnalysis, OneLevelShiftIsBenign) {
  const Window w = make(8, [](double x) { return x > -4 ? 0.6 : 0.45; });
  const WindowVerdict v = analyzeWindow(w.x, w.y, {});
  ASSERT_EQ(v.kind, WindowVerdict::Kind::kCompared);
  EXPECT_EQ(v.benign, BenignModel::kLevelShift);
  EXPECT_LT(v.margin, 0);
}

TEST(WindowAnalysis, WarmupToAPlateauIsBenign) {
  const Window w = make(8, [](double x) { return 0.6 - 0.25 * std::exp(-(x + 8) / 1.5); });
  const WindowVerdict v = analyzeWindow(w.x, w.y, {});
  ASSERT_EQ(v.kind, WindowVerdict::Kind::kCompared);
  EXPECT_LT(v.margin, 10);
}

TEST(WindowAnalysis, FallingAndTinyRisesAreNotCompared) {
  const Window down = make(6, [](double x) { return 0.5 - 0.01 * x; });
  EXPECT_EQ(analyzeWindow(down.x, down.y, {}).kind, WindowVerdict::Kind::kFalling);
  const Window tiny = make(
      6, [](double x) { return 0.5 + 0.001 * (x + 6); }, 3);
  EXPECT_NE(analyzeWindow(tiny.x, tiny.y, {}).kind, WindowVerdict::Kind::kCompared);
}

}  // namespace
}  // namespace lg::detect
