#pragma once
// A rate-limited work queue of keys ("ns/name"), after client-go's workqueue:
// - De-duplication: a key added while it waits is queued once; a key added while a worker is
//   processing it is queued again once that worker calls done().
// - A key is never handed to two workers at once.
// - addRateLimited(): per-key exponential backoff (baseDelay * 2^failures, capped at maxDelay,
//   reset by forget()), combined (max) with an overall token bucket (qps, burst).
// - addAfter(): a delay heap; a key waiting there with an earlier time keeps the earlier one.
// - shutdown(): get() returns std::nullopt at once in every blocked and future caller; keys
//   still queued are dropped (level-triggered reconciles re-derive them after a restart).
// All timing goes through the injected Clock: get() waits with clock.waitUntil(), so a
// FakeClock's advance() releases delayed keys in tests.
//
// Thread-safe: every method may be called from any thread.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <queue>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "operator/runtime/token_bucket.h"
#include "operator/util/clock.h"

namespace lg::runtime {

class RuntimeMetrics;
class Gauge;
class Counter;
class Histogram;

struct WorkQueueOptions {
  std::string name = "default";  // the `name` label of the workqueue metrics
  std::chrono::nanoseconds baseDelay = std::chrono::milliseconds(5);
  std::chrono::nanoseconds maxDelay = std::chrono::seconds(1000);
  double qps = 10;  // overall retry rate limit; <= 0 disables it
  int burst = 100;
  RuntimeMetrics* metrics = nullptr;  // optional
};

class WorkQueue {
 public:
  WorkQueue(Clock& clock, const WorkQueueOptions& opts = {});
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  // Queues `key` now (no-op if already queued, or after shutdown).
  void add(const std::string& key);
  // Queues `key` once `delay` has passed on the clock (at once if delay <= 0).
  void addAfter(const std::string& key, std::chrono::nanoseconds delay);
  // Queues `key` after its backoff: max(per-key exponential delay, token bucket delay), and
  // counts one more failure for it. Returns the delay chosen.
  std::chrono::nanoseconds addRateLimited(const std::string& key);
  // Clears the key's failure count (its next addRateLimited() waits baseDelay again).
  void forget(const std::string& key);
  // Failures counted for the key since the last forget().
  int numRequeues(const std::string& key) const;

  // Blocks until a key is ready and hands it out, marking it processing; the caller must call
  // done(key) when finished. std::nullopt once shut down.
  std::optional<std::string> get();
  // The worker finished `key`; if it was added meanwhile, it is queued again.
  void done(const std::string& key);

  void shutdown();
  bool shuttingDown() const;

  // Keys ready to be handed out (delayed keys whose time has come included) / waiting for their
  // delay / being processed.
  std::size_t len();
  std::size_t delayedLen() const;
  std::size_t processingLen() const;
  // Keys added (after de-duplication) over the queue's life.
  std::uint64_t totalAdds() const;

 private:
  struct Delayed {
    Clock::steady_time_point at;
    std::uint64_t seq;
    std::string key;
    bool operator>(const Delayed& o) const { return at != o.at ? at > o.at : seq > o.seq; }
  };

  void addLocked(const std::string& key, Clock::steady_time_point now);
  void promoteDueLocked(Clock::steady_time_point now);
  void updateDepthLocked();

  Clock& clock_;
  const WorkQueueOptions opts_;
  TokenBucket bucket_;
  Gauge* depth_ = nullptr;
  Counter* adds_ = nullptr;
  Counter* retries_ = nullptr;
  Histogram* queueDuration_ = nullptr;
  Histogram* workDuration_ = nullptr;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool shutdown_ = false;
  std::deque<std::string> queue_;
  std::unordered_set<std::string> dirty_;  // queued, or to be queued again after done()
  std::unordered_map<std::string, Clock::steady_time_point> processing_;  // key -> since
  std::unordered_map<std::string, Clock::steady_time_point> addedAt_;
  std::priority_queue<Delayed, std::vector<Delayed>, std::greater<>> delayed_;
  std::unordered_map<std::string, Clock::steady_time_point> waiting_;  // earliest per key
  std::uint64_t delayedSeq_ = 0;
  std::unordered_map<std::string, int> failures_;
  std::uint64_t totalAdds_ = 0;
};

}  // namespace lg::runtime
