#pragma once
// PodCgroupFinder: where the pods and containers of this node have their cgroups, found by
// listing the kubepods directory (and its QoS and pod levels) of the memory hierarchy.
//
// kubelet's cgroup root may be nested (the local cluster's is /<session>/leakguard-e2e), so
// unless told where kubepods is (a cgroup path such as "/kubepods" or "/kubepods.slice"), the
// finder searches the memory hierarchy breadth-first, a few levels deep, for directories named
// kubepods or kubepods.slice, and indexes all it finds (a stale one left by an earlier kubelet
// simply matches no live container).
//
// refresh() re-lists: cost is one directory listing per QoS level and per pod. Lookups are by
// bare container id (no "containerd://") and by pod uid as the cgroup names it (a static pod's
// config hash for mirror pods). Not thread-safe: owned by the sampling thread.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "controllers/agent/cgroup_layout.h"
#include "controllers/agent/pod_cgroup_path.h"
#include "operator/util/result.h"

namespace lg::agent {

struct PodCgroupFinderOptions {
  std::string kubepodsPath;  // cgroup path of kubepods in the memory hierarchy; "" searches
  int maxSearchDepth = 6;    // levels below the hierarchy root the search looks at
};

class PodCgroupFinder {
 public:
  PodCgroupFinder(CgroupLayout layout, PodCgroupFinderOptions opts = {});

  // Re-lists every kubepods directory (searching for them first if none is known yet).
  // Error when no kubepods directory exists: kubelet has not started, or the root is wrong.
  Status refresh();

  // The cgroup path of a container, e.g. "/kubepods/burstable/pod<uid>/<id>".
  std::optional<std::string> container(std::string_view containerId) const;
  // The cgroup path of a pod's own cgroup.
  std::optional<std::string> pod(std::string_view podUid) const;
  // What was found about a container (pod uid, QoS, driver).
  const PodCgroupInfo* containerInfo(std::string_view containerId) const;

  const std::vector<std::string>& kubepodsPaths() const { return kubepods_; }
  std::size_t podCount() const { return pods_.size(); }
  std::size_t containerCount() const { return containers_.size(); }
  std::size_t refreshes() const { return refreshes_; }

 private:
  void scanPodDir(const std::string& podPath, const std::string& podUid);

  CgroupLayout layout_;
  PodCgroupFinderOptions opts_;
  std::vector<std::string> kubepods_;
  std::unordered_map<std::string, std::string> pods_;            // uid -> path
  std::unordered_map<std::string, PodCgroupInfo> containers_;    // id -> info
  std::unordered_map<std::string, std::string> containerPaths_;  // id -> path
  std::size_t refreshes_ = 0;
};

// Cgroup paths of the directories named kubepods or kubepods.slice under a hierarchy root,
// breadth first, at most maxDepth levels down, not looking below the ones found, shallowest
// first. Unreadable directories are skipped.
std::vector<std::string> findKubepodsDirs(const std::string& hierarchyRoot, int maxDepth);

}  // namespace lg::agent
