#include "operator/runtime/token_bucket.h"

#include <gtest/gtest.h>

#include "tests/fakes/fake_clock.h"

namespace lg::runtime {
namespace {

using namespace std::chrono_literals;
using lg::testing::FakeClock;

TEST(TokenBucketTest, BurstThenPaced) {
  FakeClock clock;
  TokenBucket b(clock, 10, 3);
  EXPECT_EQ(b.reserve(), 0ns);
  EXPECT_EQ(b.reserve(), 0ns);
  EXPECT_EQ(b.reserve(), 0ns);
  EXPECT_EQ(b.reserve(), 100ms);
  EXPECT_EQ(b.reserve(), 200ms);
}

TEST(TokenBucketTest, RefillsWithTimeUpToBurst) {
  FakeClock clock;
  TokenBucket b(clock, 10, 2);
  b.reserve();
  b.reserve();
  clock.advance(100ms);
  EXPECT_EQ(b.reserve(), 0ns);
  EXPECT_EQ(b.reserve(), 100ms);
  clock.advance(1h);
  // Never more than `burst` saved up.
  EXPECT_EQ(b.reserve(), 0ns);
  EXPECT_EQ(b.reserve(), 0ns);
  EXPECT_EQ(b.reserve(), 100ms);
}

TEST(TokenBucketTest, TryTakeRefusesRatherThanGoingIntoDebt) {
  FakeClock clock;
  TokenBucket b(clock, 10, 2);
  EXPECT_TRUE(b.tryTake());
  EXPECT_TRUE(b.tryTake());
  for (int i = 0; i < 100; ++i)
    EXPECT_FALSE(b.tryTake());
  clock.advance(100ms);  // one token back, not less for the refusals
  EXPECT_TRUE(b.tryTake());
  EXPECT_FALSE(b.tryTake());
  clock.advance(50ms);
  EXPECT_FALSE(b.tryTake());
  EXPECT_EQ(b.reserve(), 50ms);  // half a token saved up: reserve's debt starts from there
}

TEST(TokenBucketTest, ZeroQpsIsUnlimited) {
  FakeClock clock;
  TokenBucket b(clock, 0, 1);
  for (int i = 0; i < 1000; ++i)
    EXPECT_EQ(b.reserve(), 0ns);
}

}  // namespace
}  // namespace lg::runtime
