#include "controllers/agent/pod_cgroup_finder.h"

#include <dirent.h>

#include <functional>
#include <utility>

#include "operator/util/logger.h"

namespace lg::agent {
namespace {

// Calls f(name) for each subdirectory of dir; false if dir cannot be listed.
bool forEachSubdir(const std::string& dir, const std::function<void(std::string_view)>& f) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) return false;
  while (const dirent* e = ::readdir(d)) {
    const std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    if (e->d_type == DT_DIR) {
      f(name);
    } else if (e->d_type == DT_UNKNOWN) {
      // Some filesystems (and fixture trees on them) do not fill d_type.
      DIR* sub = ::opendir((dir + "/" + std::string(name)).c_str());
      if (sub) {
        ::closedir(sub);
        f(name);
      }
    }
  }
  ::closedir(d);
  return true;
}

}  // namespace

std::vector<std::string> findKubepodsDirs(const std::string& hierarchyRoot, int maxDepth) {
  std::vector<std::string> found;
  std::vector<std::string> level{"/"};
  for (int depth = 0; depth < maxDepth && !level.empty() && found.empty(); ++depth) {
    std::vector<std::string> next;
    for (const auto& path : level) {
      const std::string dir = joinCgroupDir(hierarchyRoot, path);
      forEachSubdir(dir, [&](std::string_view name) {
        const std::string child = (path == "/" ? "" : path) + "/" + std::string(name);
        if (isKubepodsDirName(name)) {
          found.push_back(child);
        } else if (!name.ends_with(".scope")) {  // systemd has many scopes, none a parent
          next.push_back(child);
        }
      });
    }
    level = std::move(next);
  }
  return found;
}

PodCgroupFinder::PodCgroupFinder(CgroupLayout layout, PodCgroupFinderOptions opts)
    : layout_(std::move(layout)), opts_(std::move(opts)) {
  if (!opts_.kubepodsPath.empty()) kubepods_.push_back(normalizeCgroupPath(opts_.kubepodsPath));
}

void PodCgroupFinder::scanPodDir(const std::string& podPath, const std::string& podUid) {
  pods_[podUid] = podPath;
  forEachSubdir(layout_.memoryDir(podPath), [&](std::string_view name) {
    auto id = containerIdFromDirName(name);
    if (!id) return;
    const std::string path = podPath + "/" + std::string(name);
    auto info = parsePodCgroupPath(path);
    if (!info) return;
    containerPaths_[*id] = path;
    containers_[*id] = std::move(*info);
  });
}

Status PodCgroupFinder::refresh() {
  ++refreshes_;
  if (kubepods_.empty()) {
    kubepods_ = findKubepodsDirs(layout_.memoryRoot, opts_.maxSearchDepth);
    if (kubepods_.empty())
      return makeError("no kubepods cgroup under " + layout_.memoryRoot + " (searched " +
                       std::to_string(opts_.maxSearchDepth) + " levels)");
    LG_LOG(info, "found kubepods cgroups", {{"paths", kubepods_}});
  }
  pods_.clear();
  containers_.clear();
  containerPaths_.clear();
  bool any = false;
  for (const auto& kp : kubepods_) {
    const bool listed = forEachSubdir(layout_.memoryDir(kp), [&](std::string_view name) {
      const std::string path = (kp == "/" ? "" : kp) + "/" + std::string(name);
      if (auto uid = podUidFromDirName(name)) {
        scanPodDir(path, *uid);  // Guaranteed: no QoS level
        return;
      }
      // A QoS level: burstable, besteffort, kubepods-burstable.slice, kubepods-besteffort.slice.
      if (name == "burstable" || name == "besteffort" || name == "kubepods-burstable.slice" ||
          name == "kubepods-besteffort.slice") {
        forEachSubdir(layout_.memoryDir(path), [&](std::string_view podName) {
          if (auto uid = podUidFromDirName(podName))
            scanPodDir(path + "/" + std::string(podName), *uid);
        });
      }
    });
    any = any || listed;
  }
  if (!any) {
    // The kubepods directory went away (kubelet restarted elsewhere?): search again next time,
    // unless the user named it.
    const std::string was = kubepods_.empty() ? "" : kubepods_.front();
    if (opts_.kubepodsPath.empty()) kubepods_.clear();
    return makeError("cannot list kubepods cgroup " + was + " under " + layout_.memoryRoot);
  }
  return okStatus();
}

std::optional<std::string> PodCgroupFinder::container(std::string_view containerId) const {
  auto it = containerPaths_.find(std::string(containerId));
  if (it == containerPaths_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> PodCgroupFinder::pod(std::string_view podUid) const {
  auto it = pods_.find(std::string(podUid));
  if (it == pods_.end()) return std::nullopt;
  return it->second;
}

const PodCgroupInfo* PodCgroupFinder::containerInfo(std::string_view containerId) const {
  auto it = containers_.find(std::string(containerId));
  return it == containers_.end() ? nullptr : &it->second;
}

}  // namespace lg::agent
