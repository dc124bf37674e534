#pragma once
// SignalHandler: turns SIGTERM/SIGINT into a graceful-shutdown callback.
//
// The constructor blocks SIGTERM and SIGINT in the calling thread's signal mask, which every
// thread created afterwards inherits; construct it first thing in main(), before any thread
// exists, or a signal may be delivered to a thread that does not block it (and kill the
// process with the default action). A thread of its own reads the signals from a signalfd:
// the first one calls onShutdown (once); a second one exits the process at once with status 1
// (the operator is stuck in its graceful stop and the user insists).
//
// Thread safety: start()/stop() from one owner thread. The callback runs on the handler's
// thread and must not call stop().

#include <atomic>
#include <functional>
#include <thread>

namespace lg::runtime {

class SignalHandler {
 public:
  SignalHandler();
  ~SignalHandler();  // stop(); the signals stay blocked
  SignalHandler(const SignalHandler&) = delete;
  SignalHandler& operator=(const SignalHandler&) = delete;

  // Starts listening; onShutdown gets the signal number. False if the signalfd could not be
  // made (errno logged).
  bool start(std::function<void(int signo)> onShutdown);
  void stop();
  // Signals received so far.
  int received() const { return received_.load(); }
  // Exit the process on the second signal (default true; tests turn it off).
  void setExitOnSecondSignal(bool exit) { exitOnSecond_ = exit; }

 private:
  void loop();

  int signalFd_ = -1;
  int wakeFd_ = -1;  // eventfd that stop() writes to end loop()
  std::thread thread_;
  std::function<void(int)> onShutdown_;
  std::atomic<int> received_{0};
  std::atomic<bool> exitOnSecond_{true};
};

}  // namespace lg::runtime
