#pragma once
// What the node agent reads for one cgroup: memory (cgroup v1 or v2), pids, and the processes
// in it (from /proc). Plain data; every field is std::nullopt when it could not be read (file
// missing, unreadable or malformed): a null, never a guess.
//
// Units: bytes for memory, microseconds for PSI totals, counts otherwise. A limit of 0 means
// "no limit" (v1's huge sentinel, v2's "max", pids.max "max"); std::nullopt means unknown.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "controllers/agent/runtime_heap.h"

namespace lg::agent {

// One line of a PSI file (memory.pressure): the share of time some (or all) tasks stalled.
struct PressureLine {
  double avg10 = 0;
  double avg60 = 0;
  double avg300 = 0;
  std::uint64_t totalUs = 0;
};

struct Pressure {
  std::optional<PressureLine> some;
  std::optional<PressureLine> full;
};

struct MemoryStats {
  std::optional<std::uint64_t> usage;         // v1 memory.usage_in_bytes, v2 memory.current
  std::optional<std::uint64_t> workingSet;    // usage - inactive file, clamped at 0 (kubelet)
  std::optional<std::uint64_t> anon;          // v1 total_rss, v2 anon (no shmem in either)
  std::optional<std::uint64_t> file;          // v1 total_cache, v2 file (both include shmem)
  std::optional<std::uint64_t> shmem;         // v1 total_shmem, v2 shmem
  std::optional<std::uint64_t> inactiveFile;  // v1 total_inactive_file, v2 inactive_file
  std::optional<std::uint64_t> activeFile;    // v1 total_active_file, v2 active_file
  std::optional<std::uint64_t> mappedFile;    // v1 total_mapped_file, v2 file_mapped
  std::optional<std::uint64_t> kernel;        // v1 memory.kmem.usage_in_bytes, v2 kernel
  std::optional<std::uint64_t> limit;         // v1 memory.limit_in_bytes, v2 memory.max; 0: none
  // v1 only: the lowest limit of the cgroup and its ancestors (memory.stat
  // hierarchical_memory_limit); 0: none.
  std::optional<std::uint64_t> hierarchicalLimit;
  std::optional<std::uint64_t> failcnt;     // v1 memory.failcnt: charges refused at the limit
  std::optional<std::uint64_t> maxEvents;   // v2 memory.events max: same meaning
  std::optional<std::uint64_t> highEvents;  // v2 memory.events high
  std::optional<std::uint64_t> oomEvents;   // v2 memory.events oom
  // v1 memory.oom_control oom_kill (this cgroup only), v2 memory.events oom_kill (this cgroup
  // and its descendants).
  std::optional<std::uint64_t> oomKill;
  std::optional<bool> underOom;  // v1 memory.oom_control under_oom
  Pressure pressure;             // v2 memory.pressure; v1 has none per cgroup
};

struct PidsStats {
  std::optional<std::uint64_t> current;  // pids.current: tasks (threads included)
  std::optional<std::uint64_t> max;      // pids.max; 0: "max" (no limit)
};

// The processes of one cgroup (its cgroup.procs), read from /proc.
struct ProcessStats {
  std::optional<std::uint64_t> processes;  // pids listed in cgroup.procs
  std::optional<std::uint64_t> threads;    // sum of "Threads:" over them
  std::optional<std::uint64_t> fdsTotal;   // open fds summed over them
  // RLIMIT_NOFILE is per process, so the fd signal is per process: the process holding the
  // most open fds, with its own soft limit (0: unlimited or unknown).
  std::optional<std::uint64_t> fdsMax;
  std::optional<std::int64_t> fdsMaxPid;
  std::optional<std::uint64_t> fdsSoftLimit;
  std::uint32_t unreadable = 0;  // processes whose fds or status could not be read
  // The heap cap of the cgroup's one JVM or Node.js process (agent/runtime_heap.h); none when
  // there is no such process, more than one, or its cap cannot be known.
  std::optional<RuntimeHeap> runtime;
  std::optional<std::int64_t> runtimePid;
};

struct CgroupSample {
  int version = 0;     // cgroup version: 1 or 2
  std::string cgroup;  // the cgroup's path inside the hierarchy, "/kubepods/..."
  MemoryStats memory;
  PidsStats pids;
  ProcessStats processes;
};

// Why a field is null: the file and what went wrong ("missing", "malformed: ...").
struct ReadProblem {
  std::string file;
  std::string reason;
};
using ReadProblems = std::vector<ReadProblem>;

}  // namespace lg::agent
