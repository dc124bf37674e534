#include "operator/runtime/periodic_task.h"

namespace lg::runtime {

PeriodicTask::PeriodicTask(PeriodicTaskOptions opts, Clock& clock)
    : opts_(std::move(opts)), clock_(clock) {}

PeriodicTask::~PeriodicTask() {
  stop();
}

Status PeriodicTask::start() {
  if (!opts_.tick) return makeError(opts_.name + ": no tick function");
  if (thread_.joinable()) return okStatus();
  {
    std::lock_guard g(mu_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { loop(); });
  return okStatus();
}

void PeriodicTask::stop() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard g(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
  if (opts_.last) opts_.last();
}

void PeriodicTask::loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    opts_.tick();
    lock.lock();
    clock_.waitFor(lock, cv_, opts_.every, [this] { return stopping_; });
  }
}

}  // namespace lg::runtime
