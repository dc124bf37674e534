#include "controllers/actions/background_runner.h"

#include <exception>

#include "operator/util/logger.h"

namespace lg::actions {

BackgroundRunner::BackgroundRunner(int threads, std::size_t maxQueued)
    : threadCount_(threads), maxQueued_(maxQueued) {}

Status BackgroundRunner::start() {
  std::lock_guard g(mu_);
  if (stopping_) return makeError("the diagnostics runner was stopped");
  if (!threads_.empty()) return okStatus();
  for (int i = 0; i < threadCount_; ++i)
    threads_.emplace_back([this] { work(); });
  return okStatus();
}

BackgroundRunner::~BackgroundRunner() {
  stop();
}

bool BackgroundRunner::canStart(const std::string& group) const {
  std::lock_guard g(mu_);
  return !stopping_ && !busy_.count(group) && queue_.size() < maxQueued_;
}

bool BackgroundRunner::tryStart(const std::string& group, std::function<void()> job) {
  {
    std::lock_guard g(mu_);
    if (stopping_ || busy_.count(group) || queue_.size() >= maxQueued_) return false;
    busy_.insert(group);
    queue_.emplace_back(group, std::move(job));
  }
  cv_.notify_one();
  return true;
}

std::size_t BackgroundRunner::pending() const {
  std::lock_guard g(mu_);
  return busy_.size();
}

void BackgroundRunner::stop() {
  {
    std::lock_guard g(mu_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
    for (const auto& [group, job] : queue_)
      busy_.erase(group);
    queue_.clear();
  }
  cv_.notify_all();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

void BackgroundRunner::work() {
  for (;;) {
    std::pair<std::string, std::function<void()>> next;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping
      next = std::move(queue_.front());
      queue_.pop_front();
    }
    try {
      next.second();
    } catch (const std::exception& e) {
      LG_LOG(error, "background job failed", {{"group", next.first}, {"error", e.what()}});
    }
    std::lock_guard g(mu_);
    busy_.erase(next.first);
  }
}

}  // namespace lg::actions
