#include "operator/runtime/work_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <set>
#include <thread>
#include <vector>

#include "operator/runtime/metrics_registry.h"
#include "operator/runtime/runtime_metrics.h"
#include "tests/fakes/fake_clock.h"

namespace lg::runtime {
namespace {

using namespace std::chrono_literals;
using lg::testing::FakeClock;

WorkQueueOptions noRateLimit() {
  return WorkQueueOptions{.name = "test",
                          .baseDelay = 5ms,
                          .maxDelay = 1000s,
                          .qps = 0,
                          .burst = 1,
                          .metrics = nullptr};
}

TEST(WorkQueueTest, AddThenGetHandsOutKeysInOrder) {
  FakeClock clock;
  WorkQueue q(clock, noRateLimit());
  q.add("a");
  q.add("b");
  EXPECT_EQ(q.len(), 2u);
  EXPECT_EQ(q.get(), "a");
  EXPECT_EQ(q.get(), "b");
  EXPECT_EQ(q.len(), 0u);
  EXPECT_EQ(q.processingLen(), 2u);
}

TEST(WorkQueueTest, DuplicateAddsWhileQueuedAreQueuedOnce) {
  FakeClock clock;
  WorkQueue q(clock, noRateLimit());
  q.add("a");
  q.add("a");
  q.add("b");
  q.add("a");
  EXPECT_EQ(q.len(), 2u);
  EXPECT_EQ(q.totalAdds(), 2u);
}

TEST(WorkQueueTest, AddWhileProcessingRequeuesAfterDone) {
  FakeClock clock;
  WorkQueue q(clock, noRateLimit());
  q.add("a");
  ASSERT_EQ(q.get(), "a");
  q.add("a");
  q.add("a");
  // Not handed out while a worker has it.
  EXPECT_EQ(q.len(), 0u);
  q.done("a");
  EXPECT_EQ(q.len(), 1u);
  EXPECT_EQ(q.get(), "a");
  q.done("a");
  EXPECT_EQ(q.len(), 0u);
}

TEST(WorkQueueTest, DoneWithoutReAddDoesNotRequeue) {
  FakeClock clock;
  WorkQueue q(clock, noRateLimit());
  q.add("a");
  ASSERT_EQ(q.get(), "a");
  q.done("a");
  EXPECT_EQ(q.len(), 0u);
  EXPECT_EQ(q.processingLen(), 0u);
}

TEST(WorkQueueTest, ShutdownWakesBlockedGetters) {
  FakeClock clock;
  WorkQueue q(clock, noRateLimit());
  std::vector<std::thread> getters;
  std::atomic<int> nullopts{0};
  for (int i = 0; i < 3; ++i)
    getters.emplace_back([&] {
      if (!q.get()) ++nullopts;
    });
  ASSERT_TRUE(clock.blockUntilWaiters(3));
  q.shutdown();
  for (auto& t : getters)
    t.join();
  EXPECT_EQ(nullopts.load(), 3);
  EXPECT_FALSE(q.get());
  q.add("late");
  EXPECT_EQ(q.len(), 0u);
}

TEST(WorkQueueTest, BlockedGetReceivesAdd) {
  FakeClock clock;
  WorkQueue q(clock, noRateLimit());
  std::optional<std::string> got;
  std::thread t([&] { got = q.get(); });
  ASSERT_TRUE(clock.blockUntilWaiters(1));
  q.add("x");
  t.join();
  EXPECT_EQ(got, "x");
}

TEST(WorkQueueTest, NeverHandsTheSameKeyToTwoWorkers) {
  FakeClock clock;
  WorkQueue q(clock, noRateLimit());
  constexpr int kWorkers = 4;
  constexpr int kAdds = 2000;
  std::mutex mu;
  std::set<std::string> inFlight;
  std::atomic<bool> overlap{false};
  std::atomic<int> processed{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&] {
      while (auto key = q.get()) {
        {
          std::lock_guard g(mu);
          if (!inFlight.insert(*key).second) overlap = true;
        }
        std::this_thread::yield();
        {
          std::lock_guard g(mu);
          inFlight.erase(*key);
        }
        ++processed;
        q.done(*key);
      }
    });
  }
  for (int i = 0; i < kAdds; ++i)
    q.add("k" + std::to_string(i % 5));
  // Drain: every key is eventually processed, then nothing is queued or processing.
  while (q.len() > 0 || q.processingLen() > 0)
    std::this_thread::yield();
  q.shutdown();
  for (auto& t : workers)
    t.join();
  EXPECT_FALSE(overlap.load());
  EXPECT_GE(processed.load(), 5);
  EXPECT_LE(processed.load(), kAdds);
}

TEST(WorkQueueTest, AddAfterReleasesKeyWhenClockReachesDelay) {
  FakeClock clock;
  WorkQueue q(clock, noRateLimit());
  q.addAfter("a", 10s);
  EXPECT_EQ(q.len(), 0u);
  EXPECT_EQ(q.delayedLen(), 1u);
  clock.advance(9s);
  EXPECT_EQ(q.len(), 0u);
  clock.advance(1s);
  EXPECT_EQ(q.len(), 1u);
  EXPECT_EQ(q.delayedLen(), 0u);
  EXPECT_EQ(q.get(), "a");
}

TEST(WorkQueueTest, AddAfterKeepsTheEarliestTime) {
  FakeClock clock;
  WorkQueue q(clock, noRateLimit());
  q.addAfter("a", 10s);
  q.addAfter("a", 3s);
  q.addAfter("a", 20s);
  EXPECT_EQ(q.delayedLen(), 1u);
  clock.advance(3s);
  EXPECT_EQ(q.len(), 1u);
  ASSERT_EQ(q.get(), "a");
  q.done("a");
  // The stale 10s and 20s entries do not fire again.
  clock.advance(30s);
  EXPECT_EQ(q.len(), 0u);
}

TEST(WorkQueueTest, AddAfterZeroAddsAtOnce) {
  FakeClock clock;
  WorkQueue q(clock, noRateLimit());
  q.addAfter("a", 0s);
  EXPECT_EQ(q.len(), 1u);
}

TEST(WorkQueueTest, BlockedGetWakesWhenDelayedKeyBecomesDue) {
  FakeClock clock;
  WorkQueue q(clock, noRateLimit());
  std::optional<std::string> got;
  std::thread t([&] { got = q.get(); });
  ASSERT_TRUE(clock.blockUntilWaiters(1));
  q.addAfter("later", 5s);
  // The getter re-waits with the new deadline.
  ASSERT_TRUE(clock.blockUntilWaiterWithDeadline(clock.steadyNow() + 5s));
  clock.advance(5s);
  t.join();
  EXPECT_EQ(got, "later");
}

TEST(WorkQueueTest, RateLimitedBackoffGrowsExponentiallyAndForgetResets) {
  FakeClock clock;
  WorkQueue q(clock, noRateLimit());
  EXPECT_EQ(q.addRateLimited("a"), 5ms);
  EXPECT_EQ(q.addRateLimited("a"), 10ms);
  EXPECT_EQ(q.addRateLimited("a"), 20ms);
  EXPECT_EQ(q.addRateLimited("a"), 40ms);
  EXPECT_EQ(q.numRequeues("a"), 4);
  // Other keys have their own count.
  EXPECT_EQ(q.addRateLimited("b"), 5ms);
  q.forget("a");
  EXPECT_EQ(q.numRequeues("a"), 0);
  EXPECT_EQ(q.addRateLimited("a"), 5ms);
}

TEST(WorkQueueTest, RateLimitedBackoffIsCappedAtMaxDelay) {
  FakeClock clock;
  auto opts = noRateLimit();
  opts.baseDelay = 1s;
  opts.maxDelay = 60s;
  WorkQueue q(clock, opts);
  std::chrono::nanoseconds last{};
  for (int i = 0; i < 100; ++i)
    last = q.addRateLimited("a");
  EXPECT_EQ(last, 60s);
}

TEST(WorkQueueTest, RateLimitedKeyIsReleasedAfterItsBackoff) {
  FakeClock clock;
  WorkQueue q(clock, noRateLimit());
  q.addRateLimited("a");  // 5ms
  q.addRateLimited("a");  // 10ms: the earlier 5ms entry stays
  EXPECT_EQ(q.len(), 0u);
  clock.advance(5ms);
  EXPECT_EQ(q.len(), 1u);
}

TEST(WorkQueueTest, TokenBucketLimitsOverallRetryRate) {
  FakeClock clock;
  // 10 qps, burst 2, per-item backoff negligible.
  WorkQueue q(clock, WorkQueueOptions{.name = "t",
                                      .baseDelay = 1ns,
                                      .maxDelay = 1ns,
                                      .qps = 10,
                                      .burst = 2,
                                      .metrics = nullptr});
  EXPECT_EQ(q.addRateLimited("a"), 1ns);
  EXPECT_EQ(q.addRateLimited("b"), 1ns);
  // Bucket empty: each further retry waits another 100 ms.
  EXPECT_EQ(q.addRateLimited("c"), 100ms);
  EXPECT_EQ(q.addRateLimited("d"), 200ms);
  // Time refills the bucket.
  clock.advance(1s);
  EXPECT_EQ(q.addRateLimited("e"), 1ns);
}

TEST(WorkQueueTest, MetricsTrackDepthAddsAndLatency) {
  FakeClock clock;
  MetricsRegistry registry;
  RuntimeMetrics metrics(registry);
  auto opts = noRateLimit();
  opts.metrics = &metrics;
  WorkQueue q(clock, opts);
  q.add("a");
  q.add("b");
  EXPECT_EQ(metrics.workqueueDepth.labels({"test"}).value(), 2);
  clock.advance(3s);
  ASSERT_EQ(q.get(), "a");
  EXPECT_EQ(metrics.workqueueDepth.labels({"test"}).value(), 1);
  clock.advance(2s);
  q.done("a");
  auto& queued = metrics.workqueueQueueDuration.labels({"test"});
  EXPECT_EQ(queued.count(), 1u);
  EXPECT_DOUBLE_EQ(queued.sum(), 3.0);
  auto& work = metrics.workqueueWorkDuration.labels({"test"});
  EXPECT_DOUBLE_EQ(work.sum(), 2.0);
  EXPECT_EQ(metrics.workqueueAdds.labels({"test"}).value(), 2);
  q.addRateLimited("c");
  EXPECT_EQ(metrics.workqueueRetries.labels({"test"}).value(), 1);
}

}  // namespace
}  // namespace lg::runtime
