#include "operator/kube/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

extern char** environ;

namespace lg::kube {
namespace {

// Closes a file descriptor when it goes out of scope.
struct Fd {
  int fd = -1;
  ~Fd() { reset(); }
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

std::vector<std::string> mergedEnv(const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  auto nameOf = [](const std::string& kv) { return kv.substr(0, kv.find('=')); };
  for (char** e = environ; e && *e; ++e) {
    const std::string kv = *e;
    bool overridden = false;
    for (const std::string& x : extra)
      overridden = overridden || nameOf(x) == nameOf(kv);
    if (!overridden) env.push_back(kv);
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

std::vector<char*> cStrings(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (std::string& s : v)
    out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

Result<ProcessResult> runProcess(const ProcessOptions& options) {
  if (options.argv.empty()) return makeError("runProcess: no program given");
  const std::string& program = options.argv[0];
  int outPipe[2], errPipe[2];
  if (::pipe2(outPipe, O_CLOEXEC) != 0) return makeError("pipe: " + std::string(strerror(errno)));
  Fd outR{outPipe[0]}, outW{outPipe[1]};
  if (::pipe2(errPipe, O_CLOEXEC) != 0) return makeError("pipe: " + std::string(strerror(errno)));
  Fd errR{errPipe[0]}, errW{errPipe[1]};

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, outW.fd, 1);
  posix_spawn_file_actions_adddup2(&actions, errW.fd, 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // Its own process group, so a timeout kills the plugin's children too; default signal
  // handling, since this process may ignore SIGPIPE.
  sigset_t defaults, empty;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigemptyset(&empty);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setsigmask(&attr, &empty);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  std::vector<std::string> argvStrings = options.argv;
  std::vector<std::string> envStrings = mergedEnv(options.extraEnv);
  std::vector<char*> argv = cStrings(argvStrings);
  std::vector<char*> envp = cStrings(envStrings);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, program.c_str(), &actions, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return makeError("cannot run \"" + program + "\": " + strerror(rc), rc);
  outW.reset();
  errW.reset();

  const auto deadline = std::chrono::steady_clock::now() + options.timeout;
  ProcessResult result;
  std::string failure;
  Fd* fds[2] = {&outR, &errR};
  std::string* sinks[2] = {&result.out, &result.err};
  while ((outR.fd >= 0 || errR.fd >= 0) && failure.empty()) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      failure = "timed out after " + std::to_string(options.timeout.count()) + " ms";
      break;
    }
    pollfd pfds[2];
    for (int i = 0; i < 2; ++i)
      pfds[i] = {fds[i]->fd, POLLIN, 0};
    const int n = ::poll(pfds, 2, static_cast<int>(std::min<int64_t>(left.count(), 1000)));
    if (n < 0 && errno != EINTR) {
      failure = "poll: " + std::string(strerror(errno));
      break;
    }
    for (int i = 0; i < 2 && n > 0; ++i) {
      if (fds[i]->fd < 0 || pfds[i].revents == 0) continue;
      char buf[4096];
      const ssize_t got = ::read(fds[i]->fd, buf, sizeof buf);
      if (got > 0) {
        sinks[i]->append(buf, static_cast<size_t>(got));
        if (sinks[i]->size() > options.maxOutputBytes) {
          failure = "printed more than " + std::to_string(options.maxOutputBytes) + " bytes";
        }
      } else if (got == 0 || errno != EINTR) {
        fds[i]->reset();
      }
    }
  }
  int wstatus = 0;
  if (!failure.empty()) {
    ::kill(-pid, SIGKILL);  // the whole group: children may hold the pipes too
    ::waitpid(pid, &wstatus, 0);
    return makeError("\"" + program + "\" " + failure);
  }
  // Both pipes closed: wait for the exit within what is left of the timeout.
  for (;;) {
    const pid_t w = ::waitpid(pid, &wstatus, WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) return makeError("waitpid: " + std::string(strerror(errno)));
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(-pid, SIGKILL);
      ::waitpid(pid, &wstatus, 0);
      return makeError("\"" + program + "\" timed out after " +
                       std::to_string(options.timeout.count()) + " ms");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  if (WIFEXITED(wstatus)) {
    result.exitCode = WEXITSTATUS(wstatus);
  } else if (WIFSIGNALED(wstatus)) {
    result.termSignal = WTERMSIG(wstatus);
  }
  return result;
}

}  // namespace lg::kube
