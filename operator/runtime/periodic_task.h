#pragma once
// PeriodicTask: a Runnable that calls `tick` every `every` on a thread of its own (the first
// call at once), and `last` once when stopped, after the final tick has returned. For the
// controller's housekeeping: gauges refreshed, idle series aged out, buffered Events written.
//
//   runtime::PeriodicTask flusher({.name = "event flusher", .every = std::chrono::seconds(5),
//                                  .tick = [&] { (void)events.flush(); },
//                                  .last = [&] { (void)events.flush(); }},
//                                 clock);
//   mgr.add(flusher);
//
// Waits on the injected Clock, so tests drive it with a fake one. Thread-safe as a Runnable.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "operator/runtime/runnable.h"
#include "operator/util/clock.h"

namespace lg::runtime {

struct PeriodicTaskOptions {
  std::string name;
  std::chrono::milliseconds every{5000};
  std::function<void()> tick;
  std::function<void()> last;  // optional
  bool needsLeadership = false;
};

class PeriodicTask final : public Runnable {
 public:
  PeriodicTask(PeriodicTaskOptions opts, Clock& clock);
  ~PeriodicTask() override;

  std::string name() const override { return opts_.name; }
  Status start() override;
  void stop() override;
  bool needsLeadership() const override { return opts_.needsLeadership; }

 private:
  void loop();

  PeriodicTaskOptions opts_;
  Clock& clock_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace lg::runtime
