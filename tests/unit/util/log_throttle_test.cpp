#include "operator/util/log_throttle.h"

#include <gtest/gtest.h>

#include "tests/fakes/fake_clock.h"

namespace lg {
namespace {

using namespace std::chrono_literals;

TEST(LogThrottleTest, OneLinePerPeriodAndTheNextSaysHowManyWereHeldBack) {
  testing::FakeClock clock;
  LogThrottle t(clock, 10s);
  ASSERT_EQ(t.admit(), 0u);  // the first one always goes through
  for (int i = 0; i < 999; ++i)
    EXPECT_FALSE(t.admit().has_value());
  clock.advance(9s);
  EXPECT_FALSE(t.admit().has_value());
  clock.advance(1s);
  EXPECT_EQ(t.admit(), 1000u);
  clock.advance(30s);
  EXPECT_EQ(t.admit(), 0u);  // a quiet period: nothing held back
}

}  // namespace
}  // namespace lg
