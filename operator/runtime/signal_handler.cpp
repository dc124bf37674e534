#include "operator/runtime/signal_handler.h"

#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "operator/util/logger.h"

namespace lg::runtime {

namespace {
sigset_t shutdownSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}
}  // namespace

SignalHandler::SignalHandler() {
  const sigset_t set = shutdownSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

SignalHandler::~SignalHandler() {
  stop();
}

bool SignalHandler::start(std::function<void(int)> onShutdown) {
  if (thread_.joinable()) return true;
  const sigset_t set = shutdownSignals();
  signalFd_ = signalfd(-1, &set, SFD_CLOEXEC);
  wakeFd_ = eventfd(0, EFD_CLOEXEC);
  if (signalFd_ < 0 || wakeFd_ < 0) {
    LG_LOG(error, "cannot watch for signals", {{"error", std::strerror(errno)}});
    if (signalFd_ >= 0) close(signalFd_);
    if (wakeFd_ >= 0) close(wakeFd_);
    signalFd_ = wakeFd_ = -1;
    return false;
  }
  onShutdown_ = std::move(onShutdown);
  thread_ = std::thread([this] { loop(); });
  return true;
}

void SignalHandler::stop() {
  if (!thread_.joinable()) return;
  const std::uint64_t one = 1;
  [[maybe_unused]] auto n = write(wakeFd_, &one, sizeof one);
  thread_.join();
  close(signalFd_);
  close(wakeFd_);
  signalFd_ = wakeFd_ = -1;
}

void SignalHandler::loop() {
  while (true) {
    pollfd fds[2] = {{signalFd_, POLLIN, 0}, {wakeFd_, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      LG_LOG(error, "poll on signalfd failed", {{"error", std::strerror(errno)}});
      return;
    }
    if (fds[1].revents) return;
    if (!(fds[0].revents & POLLIN)) continue;
    signalfd_siginfo info{};
    if (read(signalFd_, &info, sizeof info) != static_cast<ssize_t>(sizeof info)) continue;
    const int signo = static_cast<int>(info.ssi_signo);
    const int n = received_.fetch_add(1) + 1;
    if (n == 1) {
      LG_LOG(info, "shutdown signal received, stopping gracefully", {{"signal", signo}});
      if (onShutdown_) onShutdown_(signo);
    } else if (exitOnSecond_) {
      LG_LOG(warn, "second shutdown signal, exiting now", {{"signal", signo}});
      std::_Exit(1);
    }
  }
}

}  // namespace lg::runtime
