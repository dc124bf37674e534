#pragma once
// A Clock whose time moves only when a test says so. Waiters blocked in waitUntil() are woken
// whenever the time advances, so code that backs off or sleeps with the clock can be driven
// step by step without real sleeps.
//
// Thread-safe. The usual pattern with a background thread:
//   clock.blockUntilWaiters(1);   // the thread is now waiting on the clock
//   clock.advance(2s);            // ... and wakes, sees the new time
//
// Lock order: a waiter holds its own mutex and then takes the clock's; advance() never holds the
// clock's mutex while taking a waiter's, so the two cannot deadlock.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <list>
#include <mutex>

#include "operator/util/clock.h"

namespace lg::testing {

class FakeClock final : public Clock {
 public:
  // Starts at 2026-01-01T00:00:00Z (wall) and an arbitrary steady origin.
  FakeClock();

  time_point now() const override;
  steady_time_point steadyNow() const override;
  bool waitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                 steady_time_point deadline, const std::function<bool()>& pred) override;

  // Moves both clocks forward and wakes every waiter so it re-checks its deadline.
  void advance(std::chrono::steady_clock::duration d);
  // Sets the wall clock only (the steady clock never goes back).
  void setWall(time_point t);

  // Threads currently registered in waitUntil() (including ones whose deadline has passed and
  // that are about to return).
  std::size_t waiters() const;
  // Blocks (in real time, up to `realTimeout` as a guard against a hung test) until at least n
  // threads are blocked in waitUntil() with a deadline still in the future (or none): after an
  // advance(), a thread woken by it counts again only once it waits anew. Returns false on
  // timeout.
  bool blockUntilWaiters(std::size_t n,
                         std::chrono::milliseconds realTimeout = std::chrono::seconds(10)) const;
  // Blocks (real time, bounded) until some thread waits with exactly `deadline`.
  bool blockUntilWaiterWithDeadline(
      steady_time_point deadline,
      std::chrono::milliseconds realTimeout = std::chrono::seconds(10)) const;
  // The earliest deadline any waiter is waiting for; steady_time_point::max() if none.
  steady_time_point nextDeadline() const;
  // Advances to the earliest waiter's deadline (if any is finite and in the future).
  void advanceToNextDeadline();

 private:
  struct Waiter {
    std::mutex* mu;
    std::condition_variable* cv;
    steady_time_point deadline;
    int notifying = 0;  // advance() calls that still hold a pointer to this waiter
  };

  mutable std::mutex mu_;
  mutable std::condition_variable changed_;  // waiters_ changed or a notification finished
  time_point wall_;
  steady_time_point steady_;
  std::list<Waiter*> waiters_;
};

}  // namespace lg::testing
