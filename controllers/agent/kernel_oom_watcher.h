#pragma once
// KernelOomWatcher: OOM kills from the kernel log (/dev/kmsg), with the victim's memory cgroup.
//
// Why the kernel log: with cgroup v1 the kernel counts an OOM kill (memory.oom_control
// oom_kill) only in the victim's own cgroup, which the runtime removes as soon as the killed
// container is cleaned up; the pod's cgroup never shows it, and an agent sampling every few
// seconds almost never sees the counter before it is gone. The kernel's report outlives both:
//   oom-kill:constraint=CONSTRAINT_MEMCG,...,oom_memcg=/kubepods/burstable/pod<uid>,
//            task_memcg=/kubepods/burstable/pod<uid>/<id>,task=app,pid=4303,uid=65532
// (Linux >= 4.19; older kernels print "Task in <memcg> killed as a result of limit of <memcg>").
// kubelet's own OOM watcher (cAdvisor's oomparser) reads the same lines.
//
// Reading /dev/kmsg needs CAP_SYSLOG (root on the host; in a DaemonSet a privileged container
// or that capability with /dev/kmsg mounted). Opening it starts at the oldest record the ring
// buffer still holds, so kills from before the agent started are counted while the kernel still
// has them. Any readable file works too (tests use a plain file and append to it).
//
// Not thread-safe: owned by the sampling thread.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "operator/util/result.h"

namespace lg::agent {

struct OomKill {
  std::string taskMemcg;  // the victim's memory cgroup path
  std::string oomMemcg;   // the cgroup whose limit was hit ("" if the record does not say)
  std::string task;       // the victim's command name ("" if unknown)
  std::int64_t pid = 0;
};

// One kernel log record: "<prio>,<seq>,<usec>,<flags>;<text>" (/dev/kmsg) or the text alone.
// nullopt unless it reports an OOM kill with the victim's memory cgroup.
std::optional<OomKill> parseOomKillRecord(std::string_view record);

class KernelOomWatcher {
 public:
  explicit KernelOomWatcher(std::string path) : path_(std::move(path)) {}
  ~KernelOomWatcher();
  KernelOomWatcher(const KernelOomWatcher&) = delete;
  KernelOomWatcher& operator=(const KernelOomWatcher&) = delete;

  // Opens the log (non-blocking). Error (with errno) if it cannot be read.
  Status open();
  bool isOpen() const { return fd_ >= 0; }

  // Reads every record that arrived since the last call, without blocking, and returns the OOM
  // kills among them. Records the kernel overwrote before we read them are skipped (counted in
  // lost()).
  std::vector<OomKill> poll();

  const std::string& path() const { return path_; }
  std::uint64_t recordsRead() const { return records_; }
  std::uint64_t lost() const { return lost_; }

 private:
  void consumeLines(std::vector<OomKill>& out);

  std::string path_;
  int fd_ = -1;
  std::string pending_;  // bytes after the last newline (plain files)
  std::uint64_t records_ = 0;
  std::uint64_t lost_ = 0;
};

}  // namespace lg::agent
