#include "operator/runtime/controller.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>

#include "operator/runtime/metrics_registry.h"
#include "operator/runtime/runtime_metrics.h"
#include "tests/fakes/fake_clock.h"

namespace lg::runtime {
namespace {

using namespace std::chrono_literals;
using lg::testing::FakeClock;

// A reconciler whose outcome per call is scripted; records calls and detects overlap.
class ScriptedReconciler final : public Reconciler {
 public:
  std::function<ReconcileResult(const std::string&, int call)> script;

  ReconcileResult reconcile(const std::string& key) override {
    int n;
    {
      std::lock_guard g(mu_);
      if (!inFlight_.insert(key).second) overlap_ = true;
      n = ++calls_[key];
    }
    struct Finish {  // also when the script throws
      ScriptedReconciler* self;
      const std::string& key;
      ~Finish() {
        {
          std::lock_guard g(self->mu_);
          self->inFlight_.erase(key);
          ++self->total_;
        }
        self->cv_.notify_all();
      }
    } finish{this, key};
    return script ? script(key, n) : ReconcileResult::done();
  }
  int calls(const std::string& key) {
    std::lock_guard g(mu_);
    return calls_[key];
  }
  // Waits (bounded real time) until `n` reconciles have finished.
  bool waitForTotal(int n) {
    std::unique_lock g(mu_);
    return cv_.wait_for(g, 10s, [&] { return total_ >= n; });
  }
  bool overlap() {
    std::lock_guard g(mu_);
    return overlap_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, int> calls_;
  std::set<std::string> inFlight_;
  int total_ = 0;
  bool overlap_ = false;
};

class ControllerTest : public ::testing::Test {
 protected:
  ControllerOptions options(int workers = 2) {
    ControllerOptions o;
    o.name = "test";
    o.workers = workers;
    o.baseDelay = 1s;
    o.maxDelay = 60s;
    o.qps = 0;
    o.metrics = &metrics_;
    return o;
  }
  double count(const std::string& result) {
    return metrics_.reconcileTotal.labels({"test", result}).value();
  }

  FakeClock clock_;
  MetricsRegistry registry_;
  RuntimeMetrics metrics_{registry_};
  ScriptedReconciler reconciler_;
};

TEST_F(ControllerTest, ReconcilesQueuedKeysAndCountsSuccess) {
  Controller c(clock_, reconciler_, options());
  c.queue().add("a");
  c.queue().add("b");
  c.start();
  ASSERT_TRUE(reconciler_.waitForTotal(2));
  c.stop();
  EXPECT_EQ(reconciler_.calls("a"), 1);
  EXPECT_EQ(reconciler_.calls("b"), 1);
  EXPECT_EQ(count("success"), 2);
  EXPECT_EQ(metrics_.reconcileDuration.labels({"test"}).count(), 2u);
}

TEST_F(ControllerTest, RetryableErrorBacksOffExponentiallyThenSucceeds) {
  reconciler_.script = [](const std::string&, int n) {
    return n <= 3 ? ReconcileResult::retry(makeError("api flaked", 500)) : ReconcileResult::done();
  };
  Controller c(clock_, reconciler_, options(1));
  c.queue().add("a");
  c.start();
  ASSERT_TRUE(reconciler_.waitForTotal(1));
  // 1st failure: retried after 1s, 2nd after 2s, 3rd after 4s.
  int done = 1;
  for (auto delay : {1s, 2s, 4s}) {
    ASSERT_TRUE(clock_.blockUntilWaiterWithDeadline(clock_.steadyNow() + delay));
    clock_.advance(delay - 1ms);
    EXPECT_EQ(reconciler_.calls("a"), done);  // not yet
    clock_.advance(1ms);
    ASSERT_TRUE(reconciler_.waitForTotal(++done));
  }
  c.stop();
  EXPECT_EQ(reconciler_.calls("a"), 4);
  EXPECT_EQ(count("error"), 3);
  EXPECT_EQ(count("success"), 1);
  // Success forgot the failures.
  EXPECT_EQ(c.queue().numRequeues("a"), 0);
}

TEST_F(ControllerTest, TerminalErrorIsNotRetried) {
  reconciler_.script = [](const std::string&, int) {
    return ReconcileResult::terminal(makeError("policy selects nothing", 422));
  };
  Controller c(clock_, reconciler_, options(1));
  c.queue().add("a");
  c.start();
  ASSERT_TRUE(reconciler_.waitForTotal(1));
  clock_.advance(1h);
  c.stop();
  EXPECT_EQ(reconciler_.calls("a"), 1);
  EXPECT_EQ(count("terminal_error"), 1);
  EXPECT_EQ(c.queue().delayedLen(), 0u);
  EXPECT_EQ(c.terminalErrors(), 1u);
}

TEST_F(ControllerTest, RequeueAfterComesBackAfterTheDelay) {
  reconciler_.script = [](const std::string&, int n) {
    return n == 1 ? ReconcileResult::after(30s) : ReconcileResult::done();
  };
  Controller c(clock_, reconciler_, options(1));
  c.queue().add("a");
  c.start();
  ASSERT_TRUE(reconciler_.waitForTotal(1));
  ASSERT_TRUE(clock_.blockUntilWaiterWithDeadline(clock_.steadyNow() + 30s));
  EXPECT_EQ(reconciler_.calls("a"), 1);
  clock_.advance(30s);
  ASSERT_TRUE(reconciler_.waitForTotal(2));
  c.stop();
  EXPECT_EQ(count("requeue"), 1);
  EXPECT_EQ(count("success"), 1);
}

TEST_F(ControllerTest, ExceptionIsARetryableError) {
  reconciler_.script = [](const std::string&, int n) -> ReconcileResult {
    if (n == 1) throw std::runtime_error("boom");
    return ReconcileResult::done();
  };
  Controller c(clock_, reconciler_, options(1));
  c.queue().add("a");
  c.start();
  ASSERT_TRUE(reconciler_.waitForTotal(1));
  ASSERT_TRUE(clock_.blockUntilWaiterWithDeadline(clock_.steadyNow() + 1s));
  clock_.advance(1s);
  ASSERT_TRUE(reconciler_.waitForTotal(2));
  c.stop();
  EXPECT_EQ(count("error"), 1);
}

TEST_F(ControllerTest, ManyWorkersNeverReconcileOneKeyConcurrently) {
  Controller c(clock_, reconciler_, options(4));
  c.start();
  for (int i = 0; i < 3000; ++i)
    c.queue().add("k" + std::to_string(i % 7));
  // Each key is reconciled at least once after its last add.
  while (c.queue().len() > 0 || c.queue().processingLen() > 0)
    std::this_thread::yield();
  c.stop();
  EXPECT_FALSE(reconciler_.overlap());
  for (int i = 0; i < 7; ++i)
    EXPECT_GE(reconciler_.calls("k" + std::to_string(i)), 1);
}

TEST_F(ControllerTest, StopDrainsInFlightReconciles) {
  std::mutex mu;
  std::condition_variable cv;
  bool entered = false, release = false;
  reconciler_.script = [&](const std::string&, int) {
    std::unique_lock g(mu);
    entered = true;
    cv.notify_all();
    cv.wait(g, [&] { return release; });
    return ReconcileResult::done();
  };
  Controller c(clock_, reconciler_, options(1));
  c.queue().add("a");
  c.queue().add("b");
  c.start();
  {
    std::unique_lock g(mu);
    cv.wait(g, [&] { return entered; });
  }
  std::thread stopper([&] { c.stop(); });
  while (!c.queue().shuttingDown())
    std::this_thread::yield();
  {
    std::lock_guard g(mu);
    release = true;
  }
  cv.notify_all();
  stopper.join();
  // "a" finished; "b" was never started after shutdown.
  EXPECT_EQ(reconciler_.calls("a"), 1);
  EXPECT_EQ(reconciler_.calls("b"), 0);
  EXPECT_FALSE(c.running());
  c.start();  // a stopped controller stays stopped
  EXPECT_FALSE(c.running());
}

}  // namespace
}  // namespace lg::runtime
