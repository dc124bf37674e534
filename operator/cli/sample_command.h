#pragma once
// `leakguard sample --cgroup PATH [--interval 1s] [--count N]`: samples one cgroup the way the
// node agent does and prints one JSON line per sample (the agent's cgroup fields, see
// controllers/agent/agent_sample.h, plus "time" and "problems"). Fields that cannot be read are
// null and named in "problems", never an error; the only error is a cgroup path that exists in
// neither the memory nor the pids hierarchy. For debugging on a node, and for tests.

#include <functional>
#include <iosfwd>
#include <string>

namespace lg::cli {

struct SampleFlags {
  std::string cgroup;  // "/a/b" (as /proc/<pid>/cgroup prints it) or "/sys/fs/cgroup/memory/a/b"
  std::string interval = "1s";
  int count = 0;  // 0: until interrupted
  std::string cgroupRoot = "/sys/fs/cgroup";
  std::string procRoot = "/proc";
};

// Returns the exit code. `sleep` waits between samples (tests pass a no-op).
int runSample(const SampleFlags& flags, std::ostream& out, std::ostream& err,
              const std::function<void(double seconds)>& sleep = nullptr);

}  // namespace lg::cli
