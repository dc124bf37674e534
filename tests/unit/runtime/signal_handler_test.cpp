#include "operator/runtime/signal_handler.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <condition_variable>
#include <csignal>
#include <mutex>

namespace lg::runtime {
namespace {

using namespace std::chrono_literals;

// Each test runs in its own process (gtest_discover_tests), and the handler is made before any
// other thread, as main() must.
TEST(SignalHandlerTest, FirstSignalCallsTheCallbackOnce) {
  SignalHandler handler;
  handler.setExitOnSecondSignal(false);
  std::mutex mu;
  std::condition_variable cv;
  int calls = 0;
  int lastSigno = 0;
  ASSERT_TRUE(handler.start([&](int signo) {
    std::lock_guard g(mu);
    ++calls;
    lastSigno = signo;
    cv.notify_all();
  }));
  ASSERT_EQ(kill(getpid(), SIGTERM), 0);
  {
    std::unique_lock g(mu);
    ASSERT_TRUE(cv.wait_for(g, 10s, [&] { return calls == 1; }));
  }
  EXPECT_EQ(lastSigno, SIGTERM);
  ASSERT_EQ(kill(getpid(), SIGINT), 0);
  // The second signal is counted but does not call back again (exit is disabled here).
  for (int i = 0; i < 10000 && handler.received() < 2; ++i)
    std::this_thread::yield();
  EXPECT_EQ(handler.received(), 2);
  handler.stop();
  std::lock_guard g(mu);
  EXPECT_EQ(calls, 1);
}

TEST(SignalHandlerTest, StopWithoutSignalEndsTheThread) {
  SignalHandler handler;
  ASSERT_TRUE(handler.start([](int) {}));
  handler.stop();
  handler.stop();
  EXPECT_EQ(handler.received(), 0);
}

TEST(SignalHandlerDeathTest, SecondSignalExitsAtOnce) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        SignalHandler handler;
        handler.start([](int) {});
        kill(getpid(), SIGTERM);
        // Pending standard signals do not queue: send the second once the first is read.
        while (handler.received() < 1)
          std::this_thread::yield();
        kill(getpid(), SIGTERM);
        for (;;)
          pause();
      },
      ::testing::ExitedWithCode(1), "");
}

}  // namespace
}  // namespace lg::runtime
