#include "controllers/detect/life_history.h"

#include <gtest/gtest.h>

#include <cmath>

namespace lg::detect {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;
constexpr double kLimit = 256 * kMiB;

// One life sampled every 15 s from t0: 2 s at 1Mi (starting), then `base` plus `rate` bytes a
// second with a little noise, until it reaches `endAt` bytes (it dies there) or `seconds` pass.
// Returns when it ended.
double live(LifeHistory& h, double t0, double base, double rate, double endAt, double seconds = 1e9,
            std::optional<Finding>* first = nullptr) {
  double t = t0;
  h.add(t, 1 * kMiB, kLimit);
  for (int i = 1;; ++i) {
    t = t0 + 15.0 * i;
    const double v = base + rate * (t - t0) + 0.3 * kMiB * std::sin(i);
    if (v >= endAt || t - t0 > seconds) break;
    h.add(t, v, kLimit);
    if (first && !*first)
      if (auto f = h.judge()) *first = f;
  }
  return t;
}

TEST(LifeHistory, AFastLeakDyingAtItsLimitEveryLifeIsFoundEarlyInTheNext) {
  LifeHistory h;
  const double rate = 200 * kMiB / 1200;  // from 40Mi to the limit in about 22 minutes
  double t = 1.7e9;
  for (int life = 0; life < 2; ++life) {
    t = live(h, t, 40 * kMiB, rate, 250 * kMiB);
    EXPECT_FALSE(h.judge()) << "life " << life;
    h.endLife();
  }
  EXPECT_EQ(h.deathsInARow(), 2);
  std::optional<Finding> f;
  const double start = t;
  const double died = live(h, start, 40 * kMiB, rate, 250 * kMiB, 1e9, &f);
  ASSERT_TRUE(f) << "the third life was not found";
  EXPECT_EQ(f->growth, GrowthModel::kDiesEachLife);
  EXPECT_EQ(f->lives, 2);
  EXPECT_EQ(f->confidence, 1.0);
  EXPECT_EQ(f->limit, kLimit);
  EXPECT_NEAR(f->lifeSeconds, died - start, 60);
  // Found a quarter into the life, with most of it still ahead, and forecast within 10%.
  const double lead = (died - f->time) / (died - start);
  EXPECT_GT(lead, 0.6);
  EXPECT_NEAR(f->exhaustionSeconds / (died - f->time), 1.0, 0.10);
  EXPECT_LE(f->exhaustionLowSeconds, f->exhaustionSeconds);
  EXPECT_GE(f->exhaustionHighSeconds, f->exhaustionSeconds);
}

TEST(LifeHistory, LivesThatEndBelowTheLineAreNotDeathsOfALeak) {
  // A batch that loads to half its limit and exits, again and again.
  LifeHistory h;
  double t = 1.7e9;
  for (int life = 0; life < 4; ++life) {
    t = live(h, t, 40 * kMiB, 0.1 * kMiB, 128 * kMiB);
    h.endLife();
  }
  EXPECT_EQ(h.deathsInARow(), 0);
  std::optional<Finding> f;
  live(h, t, 40 * kMiB, 0.1 * kMiB, 128 * kMiB, 1e9, &f);
  EXPECT_FALSE(f);
}

TEST(LifeHistory, ALifeThatEndedNormallyBreaksTheRun) {
  LifeHistory h;
  const double rate = 0.2 * kMiB;
  double t = live(h, 1.7e9, 40 * kMiB, rate, 250 * kMiB);
  h.endLife();
  t = live(h, t, 40 * kMiB, rate, 250 * kMiB);
  h.endLife();
  EXPECT_EQ(h.deathsInARow(), 2);
  t = live(h, t, 40 * kMiB, 0, 1e12, 600);  // flat for 10 minutes, then restarted by hand
  h.endLife();
  EXPECT_EQ(h.deathsInARow(), 0);
  std::optional<Finding> f;
  live(h, t, 40 * kMiB, rate, 250 * kMiB, 1e9, &f);
  EXPECT_FALSE(f);
}

TEST(LifeHistory, AWarmUpThatPeaksEarlyAndDiesLaterIsNotGrowthUntilDeath) {
  // Up to the limit in the first minutes, down to 60Mi, then killed at 230Mi by a spike.
  LifeHistory h;
  double t = 1.7e9;
  for (int life = 0; life < 3; ++life) {
    const double t0 = t;
    h.add(t0, 1 * kMiB, kLimit);
    for (int i = 1; i <= 80; ++i) {
      t = t0 + 15.0 * i;
      const double v = i < 20 ? 40 * kMiB + i * 10 * kMiB : i < 79 ? 60 * kMiB : 230 * kMiB;
      h.add(t, v, kLimit);
    }
    h.endLife();
  }
  EXPECT_EQ(h.deathsInARow(), 0);
}

TEST(LifeHistory, LivesOfVeryDifferentLengthsAreNotOneCourse) {
  LifeHistory h;
  double t = live(h, 1.7e9, 40 * kMiB, 0.05 * kMiB, 250 * kMiB);  // about 70 minutes
  h.endLife();
  t = live(h, t, 40 * kMiB, 0.5 * kMiB, 250 * kMiB);  // about 7 minutes
  h.endLife();
  EXPECT_EQ(h.deathsInARow(), 2);
  std::optional<Finding> f;
  live(h, t, 40 * kMiB, 0.2 * kMiB, 250 * kMiB, 1e9, &f);
  EXPECT_FALSE(f);
}

TEST(LifeHistory, CrashesAtStartupAndClearAreNotLives) {
  LifeHistory h;
  double t = 1.7e9;
  for (int i = 0; i < 5; ++i) {
    h.add(t, 250 * kMiB, kLimit);  // dies 15 s after it started, at the limit
    h.add(t + 15, 250 * kMiB, kLimit);
    h.endLife();
    t += 30;
  }
  EXPECT_EQ(h.deathsInARow(), 0);
  h.endLife();  // no samples: nothing ended
  t = live(h, t, 40 * kMiB, 0.2 * kMiB, 250 * kMiB);
  h.endLife();
  t = live(h, t, 40 * kMiB, 0.2 * kMiB, 250 * kMiB);
  h.endLife();
  EXPECT_EQ(h.deathsInARow(), 2);
  h.clear();
  EXPECT_EQ(h.deathsInARow(), 0);
}

}  // namespace
}  // namespace lg::detect
