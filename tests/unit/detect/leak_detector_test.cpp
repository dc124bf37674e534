// The detector on synthetic series of every pattern: leaks are found after their onset and
// before the limit is reached; look-alikes never raise a finding.

#include "controllers/detect/leak_detector.h"

#include <gtest/gtest.h>

#include <cmath>
#include <optional>

#include "synthetic_series.h"

namespace lg::detect {
namespace {

using testing::Pattern;

struct Outcome {
  std::optional<Finding> first;
  int resets = 0;
};

Outcome run(const testing::Series& s) {
  LeakDetector d;
  Outcome o;
  for (const auto& x : s.samples) {
    auto f = d.add(x.t, x.value, x.limit);
    if (f && !o.first) o.first = f;
  }
  o.resets = d.resets();
  return o;
}

class LeakPatterns : public ::testing::TestWithParam<std::tuple<Pattern, int>> {};

TEST_P(LeakPatterns, FoundAfterOnsetAndBeforeExhaustion) {
  const auto [pattern, seed] = GetParam();
  const testing::Series s = testing::generate(pattern, static_cast<uint64_t>(seed));
  ASSERT_TRUE(s.leak);
  const Outcome o = run(s);
  ASSERT_TRUE(o.first.has_value()) << s.describe;
  const Finding& f = *o.first;
  EXPECT_GE(f.time, s.onset - 600) << s.describe;
  EXPECT_LT(f.time, s.exhaustion) << s.describe;
  EXPECT_GT(f.slopePerSecond, 0) << s.describe;
  EXPECT_GT(f.exhaustionSeconds, 0) << s.describe;
  EXPECT_TRUE(std::isfinite(f.exhaustionSeconds)) << s.describe;
  EXPECT_LE(f.exhaustionLowSeconds, f.exhaustionSeconds) << s.describe;
  EXPECT_GE(f.exhaustionHighSeconds, f.exhaustionSeconds) << s.describe;
  EXPECT_GE(f.confidence, 0.99) << s.describe;
  EXPECT_GE(f.growthSeconds, 3600) << s.describe;
}

class BenignPatterns : public ::testing::TestWithParam<std::tuple<Pattern, int>> {};

TEST_P(BenignPatterns, NeverRaiseAFinding) {
  const auto [pattern, seed] = GetParam();
  const testing::Series s = testing::generate(pattern, static_cast<uint64_t>(seed));
  ASSERT_FALSE(s.leak);
  const Outcome o = run(s);
  EXPECT_FALSE(o.first.has_value())
      << s.describe << ": finding at t=" << o.first->time << " model " << name(o.first->growth)
      << " over " << name(o.first->benign) << " margin " << o.first->margin;
}

std::string paramName(const ::testing::TestParamInfo<std::tuple<Pattern, int>>& info) {
  std::string n = testing::name(std::get<0>(info.param));
  for (char& c : n)
    if (c == '-') c = '_';
  return n + "_seed" + std::to_string(std::get<1>(info.param));
}

INSTANTIATE_TEST_SUITE_P(
    Leaks, LeakPatterns,
    ::testing::Combine(::testing::Values(Pattern::kLinear, Pattern::kSawtoothLeak, Pattern::kSteps,
                                         Pattern::kDiurnalLeak, Pattern::kRestarts,
                                         Pattern::kFdLeak, Pattern::kThreadLeak),
                       ::testing::Range(1, 7)),
    paramName);

INSTANTIATE_TEST_SUITE_P(
    LookAlikes, BenignPatterns,
    ::testing::Combine(::testing::Values(Pattern::kFlatSpikes, Pattern::kWarmup, Pattern::kSawtooth,
                                         Pattern::kDiurnal, Pattern::kBatch, Pattern::kLevelShift,
                                         Pattern::kFdPool),
                       ::testing::Range(1, 7)),
    paramName);

TEST(LeakDetector, RestartedContainerStartsAfresh) {
  const testing::Series s = testing::generate(Pattern::kRestarts, 3);
  const Outcome o = run(s);
  EXPECT_GE(o.resets, 1) << s.describe;
}

TEST(LeakDetector, PageCacheIsNotTheSignal) {
  // The caller feeds anon memory; a flat anon series with the limit known never alarms,
  // whatever page cache does (page cache is not fed at all).
  LeakDetector d;
  for (int i = 0; i < 24 * 240; ++i) {
    const double t = i * 15.0;
    EXPECT_FALSE(d.add(t, 300e6 + 1e6 * std::sin(i * 0.1), 1e9).has_value());
  }
}

TEST(LeakDetector, UnknownLimitNeverAlarms) {
  LeakDetector d;
  for (int i = 0; i < 8 * 240; ++i)
    EXPECT_FALSE(d.add(i * 15.0, 1e6 * i, NAN).has_value());
}

TEST(LeakDetector, ExplicitResetForgetsHistory) {
  LeakDetector d;
  const double limit = 1e9;
  std::optional<Finding> f;
  for (int i = 0; i < 6 * 240 && !f; ++i)
    f = d.add(i * 15.0, 2e8 + i * 2e5, limit);
  ASSERT_TRUE(f.has_value());
  d.reset();
  EXPECT_FALSE(d.latest().has_value());
  EXPECT_EQ(d.resets(), 1);
  // Right after a reset there is not enough history for any finding.
  for (int i = 0; i < 100; ++i)
    EXPECT_FALSE(d.add(1e5 + i * 15.0, 2e8, limit).has_value());
}

TEST(LeakDetector, BoundedMemory) {
  LeakDetector d;
  EXPECT_LT(d.memoryBytes(), 2048u);
}

}  // namespace
}  // namespace lg::detect
