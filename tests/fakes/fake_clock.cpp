#include "tests/fakes/fake_clock.h"

#include <vector>

namespace lg::testing {

FakeClock::FakeClock()
    : wall_(std::chrono::sys_days{std::chrono::year{2026} / 1 / 1}),
      steady_(steady_time_point{} + std::chrono::hours(1000)) {}

Clock::time_point FakeClock::now() const {
  std::lock_guard g(mu_);
  return wall_;
}

Clock::steady_time_point FakeClock::steadyNow() const {
  std::lock_guard g(mu_);
  return steady_;
}

bool FakeClock::waitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                          steady_time_point deadline, const std::function<bool()>& pred) {
  Waiter w{lock.mutex(), &cv, deadline};
  std::list<Waiter*>::iterator it;
  {
    std::lock_guard g(mu_);
    it = waiters_.insert(waiters_.end(), &w);
  }
  changed_.notify_all();
  // Registered before the first check: an advance() after this point either is seen by the
  // check below or notifies cv after we block (it needs our mutex to notify).
  while (!pred() && steadyNow() < deadline)
    cv.wait(lock);
  // Unregister without holding the owner's mutex: a concurrent advance() may need it to finish
  // notifying us, and must be done with `w` before it goes out of scope.
  lock.unlock();
  {
    std::unique_lock g(mu_);
    waiters_.erase(it);
    changed_.wait(g, [&] { return w.notifying == 0; });
  }
  changed_.notify_all();
  lock.lock();
  return pred();
}

void FakeClock::advance(std::chrono::steady_clock::duration d) {
  std::vector<Waiter*> toWake;
  {
    std::lock_guard g(mu_);
    steady_ += d;
    wall_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(d);
    for (Waiter* w : waiters_) {
      ++w->notifying;
      toWake.push_back(w);
    }
  }
  for (Waiter* w : toWake) {
    {
      std::lock_guard ownerLock(*w->mu);
      w->cv->notify_all();
    }
    {
      std::lock_guard g(mu_);
      --w->notifying;
    }
    changed_.notify_all();
  }
}

void FakeClock::setWall(time_point t) {
  std::lock_guard g(mu_);
  wall_ = t;
}

std::size_t FakeClock::waiters() const {
  std::lock_guard g(mu_);
  return waiters_.size();
}

bool FakeClock::blockUntilWaiters(std::size_t n, std::chrono::milliseconds realTimeout) const {
  std::unique_lock g(mu_);
  return changed_.wait_for(g, realTimeout, [&] {
    std::size_t blocked = 0;
    for (const Waiter* w : waiters_)
      if (w->deadline > steady_) ++blocked;
    return blocked >= n;
  });
}

bool FakeClock::blockUntilWaiterWithDeadline(steady_time_point deadline,
                                             std::chrono::milliseconds realTimeout) const {
  std::unique_lock g(mu_);
  return changed_.wait_for(g, realTimeout, [&] {
    for (const Waiter* w : waiters_)
      if (w->deadline == deadline) return true;
    return false;
  });
}

Clock::steady_time_point FakeClock::nextDeadline() const {
  std::lock_guard g(mu_);
  steady_time_point next = steady_time_point::max();
  for (const Waiter* w : waiters_)
    next = std::min(next, w->deadline);
  return next;
}

void FakeClock::advanceToNextDeadline() {
  const steady_time_point next = nextDeadline();
  const steady_time_point now = steadyNow();
  if (next != steady_time_point::max() && next > now) advance(next - now);
}

}  // namespace lg::testing
