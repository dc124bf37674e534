#pragma once
// Controller: N worker threads taking keys from its WorkQueue and calling a Reconciler.
//   ok                -> forget(key) (backoff reset)
//   ok + requeueAfter -> forget(key), addAfter(key, d)
//   retryable error   -> addRateLimited(key) (per-key exponential backoff + token bucket)
//   terminal error    -> forget(key), logged, not retried
//   exception thrown  -> treated as a retryable error (an edge: exceptions stop here)
// Counts leakguard_reconcile_total{controller,result} (success, requeue, error,
// terminal_error) and observes leakguard_reconcile_duration_seconds{controller}.
//
// Event handlers add keys to queue() from the start (the queue holds them); the Manager
// start()s the controller once caches are synced (and this replica leads).
//
// Thread safety: queue() is thread-safe; start()/stop() may be called from any thread but not
// concurrently with each other. stop() shuts the queue down and waits for in-flight
// reconciles to finish (drain); a stopped controller does not start again.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "operator/runtime/reconciler.h"
#include "operator/runtime/work_queue.h"
#include "operator/util/clock.h"

namespace lg::runtime {

class RuntimeMetrics;
class Counter;
class Histogram;

struct ControllerOptions {
  std::string name;  // the `controller` metrics label; also names the work queue
  int workers = 2;
  // Per-key backoff and overall retry rate (the queue's).
  std::chrono::nanoseconds baseDelay = std::chrono::milliseconds(5);
  std::chrono::nanoseconds maxDelay = std::chrono::seconds(1000);
  double qps = 10;
  int burst = 100;
  RuntimeMetrics* metrics = nullptr;
};

class Controller {
 public:
  Controller(Clock& clock, Reconciler& reconciler, ControllerOptions opts);
  ~Controller();  // stop()
  Controller(const Controller&) = delete;
  Controller& operator=(const Controller&) = delete;

  WorkQueue& queue() { return queue_; }
  const std::string& name() const { return opts_.name; }

  void start();
  void stop();
  bool running() const { return running_.load(); }

  // Outcome counters (also exported as metrics).
  std::uint64_t reconciles() const { return reconciles_.load(); }
  std::uint64_t errors() const { return errors_.load(); }
  std::uint64_t terminalErrors() const { return terminal_.load(); }

 private:
  void worker();
  void processOne(const std::string& key);

  Clock& clock_;
  Reconciler& reconciler_;
  ControllerOptions opts_;
  WorkQueue queue_;
  Counter* success_ = nullptr;
  Counter* requeue_ = nullptr;
  Counter* error_ = nullptr;
  Counter* terminalError_ = nullptr;
  Histogram* duration_ = nullptr;

  std::vector<std::thread> workers_;
  std::atomic<bool> running_{false};
  std::atomic<std::uint64_t> reconciles_{0};
  std::atomic<std::uint64_t> errors_{0};
  std::atomic<std::uint64_t> terminal_{0};
};

}  // namespace lg::runtime
