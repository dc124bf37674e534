#pragma once
// A small bounded pool for the slow actions of playbooks (captureDiagnostics: an HTTP GET to a
// pod that may accept and stall for up to its timeout), so they run off the reconcile workers:
// a few pods with stalling debug ports never hold up every policy. Jobs belong to a group (the
// policy's key) and a group has at most one job queued or running at a time; at most
// `maxQueued` jobs wait. Thread-safe. A Runnable of the leader: start() starts the threads (jobs
// queued before wait for it); stop() (and the destructor) lets the running jobs finish, drops the
// queued ones, and joins the threads, before the Lease goes to another replica.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "operator/runtime/runnable.h"

namespace lg::actions {

class BackgroundRunner final : public runtime::Runnable {
 public:
  BackgroundRunner(int threads, std::size_t maxQueued);
  ~BackgroundRunner() override;
  BackgroundRunner(const BackgroundRunner&) = delete;
  BackgroundRunner& operator=(const BackgroundRunner&) = delete;

  // Whether tryStart(group, ...) would take a job now: the group has none, there is room.
  bool canStart(const std::string& group) const;
  // Queues `job` for `group`; false (and `job` is not run) when canStart would say no or the
  // runner is stopped.
  bool tryStart(const std::string& group, std::function<void()> job);
  // Jobs queued or running.
  std::size_t pending() const;
  std::string name() const override { return "diagnostics runner"; }
  Status start() override;
  void stop() override;
  bool needsLeadership() const override { return true; }

 private:
  void work();

  const int threadCount_;
  const std::size_t maxQueued_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<std::string, std::function<void()>>> queue_;
  std::set<std::string> busy_;  // groups with a job queued or running
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace lg::actions
