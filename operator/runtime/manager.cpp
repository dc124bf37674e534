#include "operator/runtime/manager.h"

#include "operator/util/logger.h"

namespace lg::runtime {

Manager::Manager(kube::ApiClient& api, Clock& clock, ManagerOptions opts)
    : api_(api),
      clock_(clock),
      opts_(std::move(opts)),
      runtimeMetrics_(registry_),
      health_(&registry_, opts_.health) {}

Manager::~Manager() {
  shutdownAll();
}

Controller& Manager::addController(Reconciler& reconciler, ControllerOptions opts) {
  opts.metrics = &runtimeMetrics_;
  controllers_.push_back(std::make_unique<Controller>(clock_, reconciler, std::move(opts)));
  return *controllers_.back();
}

void Manager::add(Runnable& runnable) {
  runnables_.push_back(&runnable);
  runnableStarted_.push_back(false);
}

Status Manager::startRunnables(bool leaderOnly) {
  for (std::size_t i = 0; i < runnables_.size(); ++i) {
    if (runnableStarted_[i] || runnables_[i]->needsLeadership() != leaderOnly) continue;
    if (Status s = runnables_[i]->start(); !s.ok()) {
      LG_LOG(error, "cannot start",
             {{"runnable", runnables_[i]->name()}, {"error", s.error().message}});
      return makeError("cannot start the " + runnables_[i]->name() + ": " + s.error().message);
    }
    runnableStarted_[i] = true;
  }
  return okStatus();
}

void Manager::stopRunnables(bool leaderOnly) {
  for (std::size_t i = runnables_.size(); i-- > 0;) {
    if (!runnableStarted_[i] || runnables_[i]->needsLeadership() != leaderOnly) continue;
    runnables_[i]->stop();
    runnableStarted_[i] = false;
  }
}

void Manager::notify() {
  // Taking the mutex orders the state change the waiter checks before its wake-up.
  { std::lock_guard g(mu_); }
  cv_.notify_all();
}

void Manager::requestShutdown() {
  {
    std::lock_guard g(mu_);
    shutdown_ = true;
  }
  cv_.notify_all();
}

bool Manager::leading() const {
  std::lock_guard g(mu_);
  return leading_;
}

bool Manager::allSynced() const {
  for (const auto& i : informers_)
    if (!i->hasSynced()) return false;
  return true;
}

void Manager::startControllers() {
  for (auto& c : controllers_)
    c->start();
}

Status Manager::run() {
  if (opts_.enableHealthServer) {
    for (const auto& i : informers_) {
      InformerBase* informer = i.get();
      health_.addReadinessCheck("cache-synced:" + informer->name(),
                                [informer] { return informer->hasSynced(); });
    }
    if (Status s = health_.start(); !s.ok()) return s;
  }
  if (opts_.signals) opts_.signals->start([this](int) { requestShutdown(); });
  for (auto& i : informers_)
    i->start();
  if (Status s = startRunnables(false); !s.ok()) {
    shutdownAll();
    return s;
  }

  if (opts_.leaderElection) {
    LeaderElectorOptions le = *opts_.leaderElection;
    auto userStarted = le.onStartedLeading;
    auto userStopped = le.onStoppedLeading;
    le.metrics = &runtimeMetrics_;
    le.onStartedLeading = [this, userStarted] {
      {
        std::lock_guard g(mu_);
        leading_ = true;
      }
      cv_.notify_all();
      if (userStarted) userStarted();
    };
    le.onStoppedLeading = [this, userStopped] {
      {
        std::lock_guard g(mu_);
        if (leading_ && !shutdown_) lostLeadership_ = true;
        leading_ = false;
      }
      cv_.notify_all();
      if (userStopped) userStopped();
    };
    elector_ = std::make_unique<LeaderElector>(api_, clock_, std::move(le));
    elector_->start();
  } else {
    std::lock_guard g(mu_);
    leading_ = true;
    runtimeMetrics_.leader.set(1);  // the only replica leads: alerts on "no leader" hold
  }

  Status result = okStatus();
  std::optional<Clock::steady_time_point> syncDeadline;
  std::unique_lock lock(mu_);
  while (true) {
    const bool wantControllers = leading_ && !controllersStarted_;
    if (wantControllers && !syncDeadline)
      syncDeadline = clock_.deadlineAfter(opts_.cacheSyncTimeout);
    const auto deadline = wantControllers ? *syncDeadline : Clock::steady_time_point::max();
    clock_.waitUntil(lock, cv_, deadline, [&] {
      return shutdown_ || lostLeadership_ || (leading_ && !controllersStarted_ && allSynced());
    });
    if (shutdown_) break;
    if (lostLeadership_) {
      result = makeError("lost leadership of the lease");
      LG_LOG(error, "lost leadership, shutting down");
      break;
    }
    if (leading_ && !controllersStarted_) {
      if (allSynced()) {
        controllersStarted_ = true;
        lock.unlock();
        LG_LOG(info, "caches synced, starting controllers", {{"controllers", controllers_.size()}});
        startControllers();
        const Status started = startRunnables(true);
        lock.lock();
        if (!started.ok()) {
          result = started;
          break;
        }
      } else if (clock_.steadyNow() >= *syncDeadline) {
        std::vector<std::string> pending;
        for (const auto& i : informers_)
          if (!i->hasSynced()) pending.push_back(i->name());
        result = makeError("caches did not sync within " +
                           std::to_string(opts_.cacheSyncTimeout.count()) + "s");
        LG_LOG(error, "caches did not sync in time", {{"pending", pending}});
        break;
      }
    }
  }
  shutdown_ = true;
  lock.unlock();
  shutdownAll();
  return result;
}

void Manager::shutdownAll() {
  // Order matters, see the header: drain workers before giving the Lease away.
  for (auto& c : controllers_)
    c->stop();
  stopRunnables(true);
  if (elector_) elector_->stop();
  stopRunnables(false);
  for (auto& i : informers_)
    i->stop();
  health_.stop();
  if (opts_.signals) opts_.signals->stop();
}

}  // namespace lg::runtime
