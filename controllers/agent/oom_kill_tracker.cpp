#include "controllers/agent/oom_kill_tracker.h"

#include <algorithm>

namespace lg::agent {

OomKillTracker::IdState& OomKillTracker::id(const std::string& podUid,
                                            const std::string& containerId) {
  PodState& pod = pods_[podUid];
  auto it = pod.ids.find(containerId);
  if (it != pod.ids.end()) return it->second;
  if (pod.ids.size() >= kMaxIdsPerPod && !pod.order.empty()) {
    auto old = pod.ids.find(pod.order.front());
    if (old != pod.ids.end()) {
      const std::uint64_t k = std::max(old->second.kernelKills, old->second.cgroupKills);
      if (k > 0) pod.folded[old->second.name] += k;
      pod.ids.erase(old);
    }
    pod.order.pop_front();
  }
  pod.order.push_back(containerId);
  return pod.ids[containerId];
}

void OomKillTracker::recordKernelKill(const std::string& podUid, const std::string& containerId) {
  ++id(podUid, containerId).kernelKills;
}

void OomKillTracker::noteContainer(const std::string& podUid, const std::string& name,
                                   const std::string& containerId) {
  if (containerId.empty()) return;
  id(podUid, containerId).name = name;
}

void OomKillTracker::noteCgroupCounter(const std::string& podUid, const std::string& containerId,
                                       std::uint64_t count) {
  IdState& s = id(podUid, containerId);
  s.cgroupKills = std::max(s.cgroupKills, count);
}

std::uint64_t OomKillTracker::kills(const std::string& podUid, const std::string& name) const {
  auto pod = pods_.find(podUid);
  if (pod == pods_.end()) return 0;
  std::uint64_t total = 0;
  if (auto f = pod->second.folded.find(name); f != pod->second.folded.end()) total = f->second;
  for (const auto& [cid, s] : pod->second.ids)
    if (s.name == name && !name.empty()) total += std::max(s.kernelKills, s.cgroupKills);
  return total;
}

std::uint64_t OomKillTracker::unattributedKills(const std::string& podUid) const {
  auto pod = pods_.find(podUid);
  if (pod == pods_.end()) return 0;
  std::uint64_t total = 0;
  for (const auto& [cid, s] : pod->second.ids)
    if (s.name.empty()) total += std::max(s.kernelKills, s.cgroupKills);
  return total;
}

void OomKillTracker::forgetPodsExcept(const std::unordered_set<std::string>& podUids) {
  std::erase_if(pods_, [&](const auto& entry) { return !podUids.contains(entry.first); });
}

}  // namespace lg::agent
