#pragma once
// OomKillTracker: how many times each pod's container was OOM-killed, across its restarts.
//
// A restarted container is a new container id with a new cgroup, so the count is kept per pod
// and container id, and summed per container name over the ids the pod's status named for that
// name (current and last terminated). Two sources feed it: kills from the kernel log
// (KernelOomWatcher, by the victim's cgroup) and the cgroups' own counters as last sampled. Per
// id the larger of the two counts (both count the same kills; each can miss some), so the sum is
// a lower bound of the true count.
//
// Bounded: at most kMaxIdsPerPod ids per pod (the oldest ones' kills fold into a per-name
// total), and forgetPodsExcept() drops pods that left the node. Not thread-safe: owned by the
// sampling thread.

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace lg::agent {

class OomKillTracker {
 public:
  static constexpr std::size_t kMaxIdsPerPod = 64;

  // A kill of a process in container `containerId` ("" if the victim was in the pod's own
  // cgroup) of pod `podUid` (as the cgroup names it).
  void recordKernelKill(const std::string& podUid, const std::string& containerId);
  // The pod status says container `containerId` (bare id) is (or was) container `name`.
  void noteContainer(const std::string& podUid, const std::string& name,
                     const std::string& containerId);
  // The container cgroup's own OOM-kill counter, as just read.
  void noteCgroupCounter(const std::string& podUid, const std::string& containerId,
                         std::uint64_t count);

  // Kills of every instance of container `name` of the pod.
  std::uint64_t kills(const std::string& podUid, const std::string& name) const;
  // Kills whose container the pod status never named (yet).
  std::uint64_t unattributedKills(const std::string& podUid) const;

  void forgetPodsExcept(const std::unordered_set<std::string>& podUids);
  std::size_t pods() const { return pods_.size(); }

 private:
  struct IdState {
    std::string name;  // "" until the pod status names it
    std::uint64_t kernelKills = 0;
    std::uint64_t cgroupKills = 0;
  };
  struct PodState {
    std::unordered_map<std::string, IdState> ids;
    std::deque<std::string> order;                             // ids, oldest first
    std::map<std::string, std::uint64_t, std::less<>> folded;  // name -> kills of evicted ids
  };
  IdState& id(const std::string& podUid, const std::string& containerId);

  std::unordered_map<std::string, PodState> pods_;
};

}  // namespace lg::agent
