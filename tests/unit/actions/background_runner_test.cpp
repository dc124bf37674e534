// BackgroundRunner: one job per group at a time, a bounded queue, stop() lets running jobs end.

#include "controllers/actions/background_runner.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace lg::actions {
namespace {

// A job that blocks until the gate opens.
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  int entered = 0;
  void pass() {
    std::unique_lock l(mu);
    ++entered;
    cv.notify_all();
    cv.wait(l, [&] { return open; });
  }
  void release() {
    std::lock_guard g(mu);
    open = true;
    cv.notify_all();
  }
  bool waitEntered(int n) {
    std::unique_lock l(mu);
    return cv.wait_for(l, std::chrono::seconds(10), [&] { return entered >= n; });
  }
};

bool waitIdle(const BackgroundRunner& r) {
  for (int i = 0; i < 2000 && r.pending() > 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  return r.pending() == 0;
}

TEST(BackgroundRunner, OneJobPerGroupAndABoundedQueue) {
  Gate gate;
  std::atomic<int> done{0};
  BackgroundRunner runner(1, 2);
  ASSERT_TRUE(runner.start().ok());
  auto job = [&] {
    gate.pass();
    ++done;
  };
  ASSERT_TRUE(runner.tryStart("shop/a", job));
  ASSERT_TRUE(gate.waitEntered(1));
  // The group is busy while its job runs.
  EXPECT_FALSE(runner.canStart("shop/a"));
  EXPECT_FALSE(runner.tryStart("shop/a", job));
  // Others queue, up to the bound.
  EXPECT_TRUE(runner.tryStart("shop/b", job));
  EXPECT_TRUE(runner.tryStart("shop/c", job));
  EXPECT_FALSE(runner.canStart("shop/d"));
  EXPECT_FALSE(runner.tryStart("shop/d", job));
  EXPECT_EQ(runner.pending(), 3u);
  gate.release();
  ASSERT_TRUE(waitIdle(runner));
  runner.stop();
  EXPECT_EQ(done.load(), 3);
  EXPECT_EQ(runner.pending(), 0u);
  EXPECT_FALSE(runner.tryStart("shop/a", job));
}

TEST(BackgroundRunner, StopLetsTheRunningJobEndAndDropsTheQueued) {
  Gate gate;
  std::atomic<int> done{0};
  BackgroundRunner runner(1, 8);
  ASSERT_TRUE(runner.start().ok());
  auto job = [&] {
    gate.pass();
    ++done;
  };
  ASSERT_TRUE(runner.tryStart("a", job));
  ASSERT_TRUE(runner.tryStart("b", job));
  ASSERT_TRUE(gate.waitEntered(1));
  std::thread stopper([&] { runner.stop(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));  // stop() waits on the job
  gate.release();
  stopper.join();
  EXPECT_EQ(done.load(), 1);
  EXPECT_EQ(runner.pending(), 0u);
}

// A Runnable of the leader: jobs queued before start() wait for it.
TEST(BackgroundRunner, JobsQueuedBeforeStartRunOnceStarted) {
  BackgroundRunner runner(1, 8);
  EXPECT_TRUE(runner.needsLeadership());
  std::atomic<int> ran{0};
  ASSERT_TRUE(runner.tryStart("shop/a", [&] { ++ran; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(ran.load(), 0);
  EXPECT_EQ(runner.pending(), 1u);
  ASSERT_TRUE(runner.start().ok());
  ASSERT_TRUE(waitIdle(runner));
  EXPECT_EQ(ran.load(), 1);
  runner.stop();
  EXPECT_FALSE(runner.start().ok());  // stopped for good
}

TEST(BackgroundRunner, AJobThatThrowsFreesItsGroup) {
  BackgroundRunner runner(1, 8);
  ASSERT_TRUE(runner.start().ok());
  std::atomic<bool> ran{false};
  ASSERT_TRUE(runner.tryStart("a", [] { throw std::runtime_error("boom"); }));
  for (int i = 0; i < 1000 && !runner.canStart("a"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_TRUE(runner.tryStart("a", [&] { ran = true; }));
  ASSERT_TRUE(waitIdle(runner));
  runner.stop();
  EXPECT_TRUE(ran.load());
}

}  // namespace
}  // namespace lg::actions
