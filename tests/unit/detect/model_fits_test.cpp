#include "controllers/detect/model_fits.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <vector>

namespace lg::detect {
namespace {

std::vector<double> hours(int n, double step = 0.25) {
  std::vector<double> x(n);
  for (int i = 0; i < n; ++i)
    x[i] = i * step;
  return x;
}

TEST(ModelFits, LineRecoversSlopeAndIntercept) {
  const auto x = hours(40);
  std::vector<double> y;
  for (double v : x)
    y.push_back(0.3 + 0.02 * v);
  const LineFit f = fitLine(x, y);
  EXPECT_NEAR(f.slope, 0.02, 1e-12);
  EXPECT_NEAR(f.intercept, 0.3, 1e-12);
  EXPECT_NEAR(f.rss, 0, 1e-12);  // sums of squares lose a few ulps
}

TEST(ModelFits, HingeFindsWhereGrowthStarts) {
  const auto x = hours(48);
  std::vector<double> y;
  for (double v : x)
    y.push_back(0.4 + (v > 6 ? 0.05 * (v - 6) : 0));
  const HingeFit h = fitHinge(x, y, 6);
  ASSERT_TRUE(h.found);
  EXPECT_NEAR(x[h.hinge], 6.0, 0.26);
  EXPECT_NEAR(h.slope, 0.05, 1e-3);
  EXPECT_LT(h.rss, fitLine(x, y).rss / 100);
}

TEST(ModelFits, HingeNeedsRisingData) {
  const auto x = hours(30);
  std::vector<double> y;
  for (double v : x)
    y.push_back(0.8 - 0.01 * v);
  EXPECT_FALSE(fitHinge(x, y, 6).found);
}

TEST(ModelFits, StepExplainsALevelShift) {
  std::vector<double> y(30, 0.3);
  for (int i = 12; i < 30; ++i)
    y[i] = 0.5;
  EXPECT_NEAR(fitStep(y), 0, 1e-12);
  EXPECT_GT(fitConstant(y), 0.2);
}

TEST(ModelFits, SaturatingFitsAWarmupBelowTheCap) {
  const auto x = hours(48);
  std::vector<double> y;
  for (double v : x)
    y.push_back(0.6 - 0.3 * std::exp(-v / 2.0));
  // Plateau 0.6 is admissible under a cap of 0.9: near-perfect fit.
  EXPECT_LT(fitSaturating(x, y, 0.9, 24), 1e-3);
  // Under a cap of 0.5 the plateau is pinned at 0.5 and the fit is poor.
  EXPECT_GT(fitSaturating(x, y, 0.5, 24), 0.05);
}

TEST(ModelFits, SaturatingCannotExplainALineToTheLimit) {
  const auto x = hours(48);
  std::vector<double> y;
  for (double v : x)
    y.push_back(0.3 + 0.05 * v);  // reaches 0.89 by the end, heading for 1
  const double line = fitLine(x, y).rss;
  EXPECT_GT(fitSaturating(x, y, 0.9, 24), line + 1e-3);
}

TEST(ModelFits, DailyFitsACycleThatStaysBelowTheCap) {
  const auto x = hours(96, 0.5);
  std::vector<double> y;
  for (double v : x)
    y.push_back(0.5 + 0.1 * std::sin(2 * std::numbers::pi * v / 24 + 1));
  EXPECT_LT(fitDaily(x, y, 0.9), 1e-12);
}

TEST(ModelFits, DailyCannotExplainAFastRiseWithinTheCap) {
  // A rise of 0.5 of the limit in 3 hours would need a daily swing far above the cap.
  const auto x = hours(36, 1.0 / 12);
  std::vector<double> y;
  for (double v : x)
    y.push_back(0.3 + v / 6);
  EXPECT_GT(fitDaily(x, y, 0.9), fitLine(x, y).rss + 1e-4);
}

TEST(ModelFits, LineDailySeparatesTrendFromCycle) {
  const auto x = hours(96, 0.5);
  std::vector<double> y;
  for (double v : x)
    y.push_back(0.3 + 0.004 * v + 0.08 * std::sin(2 * std::numbers::pi * v / 24 + 0.3));
  const LineDailyFit f = fitLineDaily(x, y);
  ASSERT_TRUE(f.ok);
  EXPECT_NEAR(f.slope, 0.004, 1e-9);
  EXPECT_LT(f.rss, 1e-12);
}

}  // namespace
}  // namespace lg::detect
