#pragma once
// ProcReader: for the processes of one cgroup, what /proc says about them: open file
// descriptors (entries of /proc/<pid>/fd), the soft RLIMIT_NOFILE ("Max open files" in
// /proc/<pid>/limits), threads ("Threads:" in /proc/<pid>/status), and the heap cap of a JVM or
// Node.js process (/proc/<pid>/cmdline and environ, agent/runtime_heap.h).
//
// The pids come from the cgroup's cgroup.procs, which the kernel prints in the reader's pid
// namespace: the agent must run in the host's (hostPID in a DaemonSet) for them to match the
// /proc it reads.
//
// Cost: on a real procfs (Linux >= 6.2) the number of open fds is the st_size of
// /proc/<pid>/fd, one stat() instead of listing the directory; a size of 0 (older kernels,
// fixture trees) falls back to counting entries. Limits and command lines rarely change: they are
// re-read at most every limitsMaxAge per pid (and a runtime's cap when the memory limit changes). A
// process that exits while it is read is skipped silently. Not thread-safe: owned by the sampling
// thread.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "controllers/agent/cgroup_stats.h"
#include "controllers/agent/file_reader.h"
#include "operator/util/clock.h"
#include "operator/util/result.h"

namespace lg::agent {

// The soft limit in the "Max open files" line of /proc/<pid>/limits; 0 for "unlimited".
Result<std::uint64_t> parseNoFileSoftLimit(std::string_view limitsText);
// The "Threads:" value of /proc/<pid>/status.
Result<std::uint64_t> parseStatusThreads(std::string_view statusText);

struct ProcReaderOptions {
  std::string procRoot = "/proc";
  std::chrono::seconds limitsMaxAge{60};
};

class ProcReader {
 public:
  explicit ProcReader(ProcReaderOptions opts = {}, const Clock& clock = SystemClock::instance());

  // Reads the given processes. `problems` gets a reason for each process that exists but could
  // not be read (permissions, malformed files). processes/threads/fds are null only when no
  // process could be read at all (an empty cgroup gives zeros). memoryLimit: the cgroup's
  // memory limit in bytes (0: none), from which runtimes derive their default heap caps.
  ProcessStats read(const std::vector<std::int64_t>& pids, FileReader& reader,
                    ReadProblems& problems, std::uint64_t memoryLimit = 0);

  const std::string& procRoot() const { return opts_.procRoot; }
  std::size_t cachedLimits() const { return limits_.size(); }

 private:
  struct CachedLimit {
    std::uint64_t soft = 0;
    Clock::steady_time_point readAt;
  };
  struct CachedRuntime {
    std::optional<RuntimeHeap> heap;
    std::uint64_t memoryLimit = 0;  // the limit it was derived from
    Clock::steady_time_point readAt;
  };
  // Open fds of one process; ENOENT when it has gone.
  Result<std::uint64_t> countFds(const std::string& fdDir);
  // The soft RLIMIT_NOFILE of process `pid` (its /proc dir `base`), cached per pid for
  // opts_.limitsMaxAge; nullopt when it cannot be read (said in `problems` unless it exited).
  std::optional<std::uint64_t> softLimit(std::int64_t pid, const std::string& base,
                                         FileReader& reader, ReadProblems& problems,
                                         Clock::steady_time_point now);
  // The heap cap of process `pid` if it is a JVM or Node.js (cached like the limits).
  const std::optional<RuntimeHeap>& runtime(std::int64_t pid, const std::string& base,
                                            FileReader& reader, ReadProblems& problems,
                                            std::uint64_t memoryLimit,
                                            Clock::steady_time_point now);

  ProcReaderOptions opts_;
  const Clock& clock_;
  bool fdSizeWorks_ = false;  // procRoot is a procfs whose fd dirs report their size
  std::unordered_map<std::int64_t, CachedLimit> limits_;
  std::unordered_map<std::int64_t, CachedRuntime> runtimes_;
  std::uint64_t calls_ = 0;
  std::string path_;  // reused path buffer
};

}  // namespace lg::agent
