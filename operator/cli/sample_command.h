#pragma once
// `leakguard sample --cgroup PATH [--interval 1s] [--count N] [-o json|csv]`: samples one cgroup
// the way the node agent does and prints one JSON line per sample (the agent's cgroup fields,
// see controllers/agent/agent_sample.h, plus "time" and "problems"). Fields that cannot be read
// are null and named in "problems", never an error; the only error is a cgroup path that exists
// in neither the memory nor the pids hierarchy. For debugging on a node, and for tests.
//
// -o csv prints a usage trace instead (README, "Usage traces"), which `leakguard analyze`
// reads: the header line once, then one row per sample, an empty cell where a field cannot be
// read or there is no limit. Memory is anon + shmem for the detector, as the agent judges it.

#include <functional>
#include <iosfwd>
#include <string>

#include "controllers/agent/cgroup_stats.h"

namespace lg::cli {

struct SampleFlags {
  std::string cgroup;  // "/a/b" (as /proc/<pid>/cgroup prints it) or "/sys/fs/cgroup/memory/a/b"
  std::string interval = "1s";
  int count = 0;  // 0: until interrupted
  std::string cgroupRoot = "/sys/fs/cgroup";
  std::string procRoot = "/proc";
  std::string output = "json";  // or "csv": a usage trace
};

// The header of a usage trace, and one sample of the agent as a row of it ("\n"-terminated).
inline constexpr const char* kTraceHeader =
    "timestamp,working_set_bytes,anon_bytes,file_bytes,shmem_bytes,limit_bytes,open_fds,fd_limit,"
    "threads,threads_limit";
std::string traceRow(double time, const agent::CgroupSample& sample);

// Returns the exit code. `sleep` waits between samples (tests pass a no-op).
int runSample(const SampleFlags& flags, std::ostream& out, std::ostream& err,
              const std::function<void(double seconds)>& sleep = nullptr);

}  // namespace lg::cli
