#pragma once
// Pure parsing of the cgroup paths kubelet and the container runtimes make, for both drivers:
//
//   cgroupfs: <kubepods>/pod<uid>/<id>                          Guaranteed (no QoS level)
//             <kubepods>/burstable/pod<uid>/<id>                 Burstable
//             <kubepods>/besteffort/pod<uid>/<id>                BestEffort
//             (CRI-O with cgroupfs: <kubepods>/.../pod<uid>/crio-<id>)
//   systemd:  kubepods.slice/kubepods-pod<uid_>.slice/cri-containerd-<id>.scope
//             kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod<uid_>.slice/...
//             kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod<uid_>.slice/...
//             with docker-<id>.scope, crio-<id>.scope or cri-containerd-<id>.scope
//
// <kubepods> may sit anywhere (kubelet's cgroupRoot can be nested, as on the local cluster).
// systemd writes the pod uid with underscores; parsers return it with dashes, as the API does.

#include <optional>
#include <string>
#include <string_view>

namespace lg::agent {

enum class QosLevel { kGuaranteed, kBurstable, kBestEffort };
enum class CgroupDriver { kCgroupfs, kSystemd };

std::string_view toString(QosLevel q);

struct PodCgroupInfo {
  std::string podUid;  // with dashes
  QosLevel qos = QosLevel::kGuaranteed;
  CgroupDriver driver = CgroupDriver::kCgroupfs;
  std::string containerId;  // "" for the pod's own cgroup
  std::string podPath;      // the path up to and including the pod's directory
};

// The pod uid in a pod directory's name ("pod<uid>", "kubepods-burstable-pod<uid_>.slice"),
// or nullopt if the name is not a pod directory.
std::optional<std::string> podUidFromDirName(std::string_view name);

// The container id in a container directory's name ("<hex id>", "cri-containerd-<id>.scope",
// "docker-<id>.scope", "crio-<id>.scope", "crio-<id>"), or nullopt (CRI-O's conmon scopes,
// anything else).
std::optional<std::string> containerIdFromDirName(std::string_view name);

// Finds the pod directory in a cgroup path (the last component that names a pod) and the
// container directory right below it, if any. nullopt when no component names a pod.
std::optional<PodCgroupInfo> parsePodCgroupPath(std::string_view path);

// True for "kubepods" and "kubepods.slice": the directory kubelet puts every pod under.
bool isKubepodsDirName(std::string_view name);

// "containerd://<id>" -> "<id>"; an id without a scheme is returned as is.
std::string_view stripRuntimeScheme(std::string_view containerId);

}  // namespace lg::agent
