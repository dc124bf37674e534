#include "operator/runtime/work_queue.h"

#include <algorithm>

#include "operator/runtime/runtime_metrics.h"

namespace lg::runtime {

namespace {
double seconds(std::chrono::nanoseconds d) {
  return std::chrono::duration<double>(d).count();
}
}  // namespace

WorkQueue::WorkQueue(Clock& clock, const WorkQueueOptions& opts)
    : clock_(clock), opts_(opts), bucket_(clock, opts.qps, opts.burst) {
  if (opts_.metrics) {
    depth_ = &opts_.metrics->workqueueDepth.labels({opts_.name});
    adds_ = &opts_.metrics->workqueueAdds.labels({opts_.name});
    retries_ = &opts_.metrics->workqueueRetries.labels({opts_.name});
    queueDuration_ = &opts_.metrics->workqueueQueueDuration.labels({opts_.name});
    workDuration_ = &opts_.metrics->workqueueWorkDuration.labels({opts_.name});
  }
}

void WorkQueue::add(const std::string& key) {
  std::lock_guard g(mu_);
  addLocked(key, clock_.steadyNow());
}

void WorkQueue::addLocked(const std::string& key, Clock::steady_time_point now) {
  if (shutdown_) return;
  if (!dirty_.insert(key).second) return;  // already queued (or queued again after done)
  ++totalAdds_;
  if (adds_) adds_->inc();
  addedAt_.try_emplace(key, now);
  if (processing_.contains(key)) return;  // done() queues it
  queue_.push_back(key);
  updateDepthLocked();
  cv_.notify_one();
}

void WorkQueue::addAfter(const std::string& key, std::chrono::nanoseconds delay) {
  std::lock_guard g(mu_);
  if (shutdown_) return;
  const auto now = clock_.steadyNow();
  if (delay <= std::chrono::nanoseconds::zero()) {
    addLocked(key, now);
    return;
  }
  const auto at = now + delay;
  auto [it, inserted] = waiting_.try_emplace(key, at);
  if (!inserted) {
    if (it->second <= at) return;  // already due earlier
    it->second = at;               // the older heap entry becomes stale
  }
  delayed_.push(Delayed{at, delayedSeq_++, key});
  // Blocked get() calls recompute their deadline.
  cv_.notify_all();
}

std::chrono::nanoseconds WorkQueue::addRateLimited(const std::string& key) {
  std::chrono::nanoseconds itemDelay;
  {
    std::lock_guard g(mu_);
    const int n = failures_[key]++;
    // baseDelay * 2^n without overflow: past 2^40 we are far beyond any sane maxDelay.
    const double scaled = static_cast<double>(opts_.baseDelay.count()) *
                          static_cast<double>(std::uint64_t{1} << std::min(n, 40));
    itemDelay = scaled >= static_cast<double>(opts_.maxDelay.count())
                    ? opts_.maxDelay
                    : std::chrono::nanoseconds(static_cast<std::int64_t>(scaled));
  }
  const auto delay = std::max(itemDelay, bucket_.reserve());
  if (retries_) retries_->inc();
  addAfter(key, delay);
  return delay;
}

void WorkQueue::forget(const std::string& key) {
  std::lock_guard g(mu_);
  failures_.erase(key);
}

int WorkQueue::numRequeues(const std::string& key) const {
  std::lock_guard g(mu_);
  auto it = failures_.find(key);
  return it == failures_.end() ? 0 : it->second;
}

void WorkQueue::promoteDueLocked(Clock::steady_time_point now) {
  while (!delayed_.empty() && delayed_.top().at <= now) {
    Delayed d = delayed_.top();
    delayed_.pop();
    auto it = waiting_.find(d.key);
    if (it == waiting_.end() || it->second != d.at) continue;  // stale: moved earlier
    waiting_.erase(it);
    addLocked(d.key, now);
  }
}

std::optional<std::string> WorkQueue::get() {
  std::unique_lock lock(mu_);
  while (true) {
    if (shutdown_) return std::nullopt;
    const auto now = clock_.steadyNow();
    promoteDueLocked(now);
    if (!queue_.empty()) {
      std::string key = std::move(queue_.front());
      queue_.pop_front();
      dirty_.erase(key);
      processing_.emplace(key, now);
      if (auto it = addedAt_.find(key); it != addedAt_.end()) {
        if (queueDuration_) queueDuration_->observe(seconds(now - it->second));
        addedAt_.erase(it);
      }
      updateDepthLocked();
      return key;
    }
    const auto deadline = delayed_.empty() ? Clock::steady_time_point::max() : delayed_.top().at;
    const std::uint64_t seq = delayedSeq_;
    clock_.waitUntil(lock, cv_, deadline,
                     [&] { return shutdown_ || !queue_.empty() || delayedSeq_ != seq; });
  }
}

void WorkQueue::done(const std::string& key) {
  std::lock_guard g(mu_);
  auto it = processing_.find(key);
  if (it == processing_.end()) return;
  if (workDuration_) workDuration_->observe(seconds(clock_.steadyNow() - it->second));
  processing_.erase(it);
  if (dirty_.contains(key) && !shutdown_) {
    queue_.push_back(key);
    updateDepthLocked();
    cv_.notify_one();
  }
}

void WorkQueue::shutdown() {
  {
    std::lock_guard g(mu_);
    shutdown_ = true;
  }
  cv_.notify_all();
}

bool WorkQueue::shuttingDown() const {
  std::lock_guard g(mu_);
  return shutdown_;
}

std::size_t WorkQueue::len() {
  std::lock_guard g(mu_);
  if (!shutdown_) promoteDueLocked(clock_.steadyNow());
  return queue_.size();
}

std::size_t WorkQueue::delayedLen() const {
  std::lock_guard g(mu_);
  return waiting_.size();
}

std::size_t WorkQueue::processingLen() const {
  std::lock_guard g(mu_);
  return processing_.size();
}

std::uint64_t WorkQueue::totalAdds() const {
  std::lock_guard g(mu_);
  return totalAdds_;
}

void WorkQueue::updateDepthLocked() {
  if (depth_) depth_->set(static_cast<double>(queue_.size()));
}

}  // namespace lg::runtime
