// PeriodicTask against the fake clock: a tick at once, then one per period of fake time, `last`
// once after the final tick, and no tick after stop().

#include "operator/runtime/periodic_task.h"

#include <gtest/gtest.h>

#include <atomic>

#include "tests/fakes/fake_clock.h"

namespace lg::runtime {
namespace {

using namespace std::chrono_literals;

TEST(PeriodicTaskTest, TicksAtOnceThenEveryPeriodAndEndsWithLast) {
  lg::testing::FakeClock clock;
  std::atomic<int> ticks{0}, lasts{0}, ticksAtLast{-1};
  PeriodicTask task({.name = "housekeeping",
                     .every = 5s,
                     .tick = [&] { ++ticks; },
                     .last =
                         [&] {
                           ticksAtLast = ticks.load();
                           ++lasts;
                         }},
                    clock);
  EXPECT_EQ(task.name(), "housekeeping");
  EXPECT_FALSE(task.needsLeadership());
  ASSERT_TRUE(task.start().ok());
  ASSERT_TRUE(clock.blockUntilWaiterWithDeadline(clock.steadyNow() + 5s));
  EXPECT_EQ(ticks.load(), 1);
  clock.advance(4s);  // not yet a period
  ASSERT_TRUE(clock.blockUntilWaiters(1));
  EXPECT_EQ(ticks.load(), 1);
  clock.advance(1s);
  ASSERT_TRUE(clock.blockUntilWaiterWithDeadline(clock.steadyNow() + 5s));
  EXPECT_EQ(ticks.load(), 2);
  task.stop();
  EXPECT_EQ(lasts.load(), 1);
  EXPECT_EQ(ticksAtLast.load(), 2);
  task.stop();  // a second stop does nothing
  EXPECT_EQ(lasts.load(), 1);
}

TEST(PeriodicTaskTest, WithoutATickItRefusesToStart) {
  lg::testing::FakeClock clock;
  PeriodicTask task({.name = "nothing", .needsLeadership = true}, clock);
  EXPECT_TRUE(task.needsLeadership());
  const Status s = task.start();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message, "nothing: no tick function");
}

}  // namespace
}  // namespace lg::runtime
