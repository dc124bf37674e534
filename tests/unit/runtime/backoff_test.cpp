#include "operator/runtime/backoff.h"

#include <gtest/gtest.h>

namespace lg::runtime {
namespace {

using namespace std::chrono_literals;

TEST(BackoffTest, DoublesUpToMaxAndResets) {
  Backoff b({.initial = 100ms, .max = 1s, .factor = 2.0, .jitter = 0.0});
  EXPECT_EQ(b.next(), 100ms);
  EXPECT_EQ(b.next(), 200ms);
  EXPECT_EQ(b.next(), 400ms);
  EXPECT_EQ(b.next(), 800ms);
  EXPECT_EQ(b.next(), 1s);
  EXPECT_EQ(b.next(), 1s);
  EXPECT_EQ(b.failures(), 6);
  b.reset();
  EXPECT_EQ(b.failures(), 0);
  EXPECT_EQ(b.next(), 100ms);
}

TEST(BackoffTest, JitterStretchesWithinBounds) {
  Backoff b({.initial = 1s, .max = 1s, .factor = 2.0, .jitter = 0.5}, 42);
  for (int i = 0; i < 100; ++i) {
    const auto d = b.next();
    EXPECT_GE(d, 1s);
    EXPECT_LE(d, 1500ms);
  }
}

TEST(BackoffTest, MaxBelowInitialIsRaisedToInitial) {
  Backoff b({.initial = 2s, .max = 1s, .factor = 2.0, .jitter = 0.0});
  EXPECT_EQ(b.next(), 2s);
  EXPECT_EQ(b.next(), 2s);
}

}  // namespace
}  // namespace lg::runtime
