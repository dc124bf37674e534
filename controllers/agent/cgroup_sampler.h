#pragma once
// CgroupSampler: one sample of one cgroup: memory (v1 or v2 files), pids, and its processes
// from /proc. Nothing here throws or fails: a file that is missing, unreadable or malformed
// leaves its fields null and adds a ReadProblem; each distinct (file, reason) is also logged
// once (warn), so a node with a broken file does not flood the log every interval.
//
//   cgroup v1: memory.usage_in_bytes, memory.stat, memory.limit_in_bytes, memory.oom_control,
//              memory.failcnt, memory.kmem.usage_in_bytes, cgroup.procs (memory hierarchy);
//              pids.current, pids.max (pids hierarchy)
//   cgroup v2: memory.current, memory.stat, memory.max, memory.events, memory.pressure,
//              cgroup.procs, pids.current, pids.max
// Working set = usage - inactive file, clamped at 0, as kubelet (cAdvisor) computes it.
//
// Buffers (file contents, pid lists, paths) are reused from sample to sample. Not thread-safe:
// one sampler per sampling thread.

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_set>
#include <vector>

#include "controllers/agent/cgroup_layout.h"
#include "controllers/agent/cgroup_stats.h"
#include "controllers/agent/file_reader.h"
#include "controllers/agent/proc_reader.h"

namespace lg::agent {

class CgroupSampler {
 public:
  CgroupSampler(CgroupLayout layout, ProcReaderOptions proc = {},
                const Clock& clock = SystemClock::instance());

  // Fills `out` (every field reset first) for the cgroup at `cgroupPath` ("/a/b").
  void sample(std::string_view cgroupPath, CgroupSample& out, ReadProblems& problems);

  // Only the OOM-kill counter of a cgroup (v1 memory.oom_control, v2 memory.events).
  std::optional<std::uint64_t> oomKillCounter(std::string_view cgroupPath, ReadProblems& problems);

  // True if the cgroup's directory exists in the memory hierarchy.
  bool exists(std::string_view cgroupPath) const;

  const CgroupLayout& layout() const { return layout_; }
  ProcReader& procReader() { return proc_; }

 private:
  void readV1(const std::string& dir, MemoryStats& m, ReadProblems& problems);
  void readV2(const std::string& dir, MemoryStats& m, ReadProblems& problems);
  void readPids(const std::string& dir, PidsStats& p, ReadProblems& problems);
  // memoryLimit: the cgroup's, from which a runtime's default heap cap is derived (0: none).
  void readProcesses(const std::string& dir, ProcessStats& p, ReadProblems& problems,
                     std::uint64_t memoryLimit);
  // Reads dir/name into the reader's buffer; on failure records the problem and returns null.
  const std::string_view* file(const std::string& dir, std::string_view name,
                               ReadProblems& problems);
  void problem(ReadProblems& problems, std::string file, std::string reason);
  // Reads and parses dir/name; a read or parse failure is a problem and gives nullopt.
  template <class Parser>
  auto parsed(const std::string& dir, std::string_view name, Parser parse, ReadProblems& problems)
      -> std::optional<std::decay_t<decltype(parse(std::string_view()).value())>>;

  CgroupLayout layout_;
  ProcReader proc_;
  FileReader reader_;
  std::string path_;
  std::string_view content_;
  std::vector<std::int64_t> pids_;
  std::unordered_set<std::string> logged_;  // "file: reason" already logged
};

}  // namespace lg::agent
