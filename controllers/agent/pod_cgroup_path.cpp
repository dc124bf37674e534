#include "controllers/agent/pod_cgroup_path.h"

#include <vector>

namespace lg::agent {
namespace {

bool isHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

bool isHexId(std::string_view s) {
  if (s.size() < 12 || s.size() > 128) return false;
  for (char c : s)
    if (!isHex(c)) return false;
  return true;
}

// A uid as kubelet names pods: a UUID (36 chars with dashes), or a static pod's 32 hex hash.
std::optional<std::string> normalizeUid(std::string_view s) {
  if (s.size() != 36 && s.size() != 32) return std::nullopt;
  std::string out(s);
  for (char& c : out) {
    if (c == '_') c = '-';
    if (!isHex(c) && c != '-') return std::nullopt;
  }
  return out;
}

bool consume(std::string_view& s, std::string_view prefix) {
  if (!s.starts_with(prefix)) return false;
  s.remove_prefix(prefix.size());
  return true;
}

}  // namespace

std::string_view toString(QosLevel q) {
  switch (q) {
    case QosLevel::kGuaranteed:
      return "Guaranteed";
    case QosLevel::kBurstable:
      return "Burstable";
    case QosLevel::kBestEffort:
      return "BestEffort";
  }
  return "?";
}

bool isKubepodsDirName(std::string_view name) {
  return name == "kubepods" || name == "kubepods.slice";
}

std::optional<std::string> podUidFromDirName(std::string_view name) {
  std::string_view s = name;
  if (s.ends_with(".slice")) {
    s.remove_suffix(6);
    if (!consume(s, "kubepods-")) return std::nullopt;
    if (!consume(s, "burstable-")) consume(s, "besteffort-");
    if (!consume(s, "pod")) return std::nullopt;
    return normalizeUid(s);
  }
  if (!consume(s, "pod")) return std::nullopt;
  return normalizeUid(s);
}

std::optional<std::string> containerIdFromDirName(std::string_view name) {
  std::string_view s = name;
  if (s.ends_with(".scope")) {
    s.remove_suffix(6);
    if (s.starts_with("crio-conmon-")) return std::nullopt;
    if (!consume(s, "cri-containerd-") && !consume(s, "docker-") && !consume(s, "crio-") &&
        !consume(s, "cri-o-"))
      return std::nullopt;
  } else {
    if (s.starts_with("crio-conmon-")) return std::nullopt;
    consume(s, "crio-");
  }
  if (!isHexId(s)) return std::nullopt;
  return std::string(s);
}

std::optional<PodCgroupInfo> parsePodCgroupPath(std::string_view path) {
  std::vector<std::string_view> parts;
  std::vector<std::size_t> ends;  // offset just past each part
  for (std::size_t i = 0; i < path.size();) {
    while (i < path.size() && path[i] == '/')
      ++i;
    const std::size_t start = i;
    while (i < path.size() && path[i] != '/')
      ++i;
    if (i > start) {
      parts.push_back(path.substr(start, i - start));
      ends.push_back(i);
    }
  }
  for (std::size_t k = parts.size(); k-- > 0;) {
    auto uid = podUidFromDirName(parts[k]);
    if (!uid) continue;
    PodCgroupInfo info;
    info.podUid = std::move(*uid);
    info.podPath = std::string(path.substr(0, ends[k]));
    const std::string_view pod = parts[k];
    info.driver = pod.ends_with(".slice") ? CgroupDriver::kSystemd : CgroupDriver::kCgroupfs;
    if (info.driver == CgroupDriver::kSystemd) {
      if (pod.starts_with("kubepods-burstable-"))
        info.qos = QosLevel::kBurstable;
      else if (pod.starts_with("kubepods-besteffort-"))
        info.qos = QosLevel::kBestEffort;
    } else if (k > 0) {
      if (parts[k - 1] == "burstable")
        info.qos = QosLevel::kBurstable;
      else if (parts[k - 1] == "besteffort")
        info.qos = QosLevel::kBestEffort;
    }
    if (k + 1 < parts.size()) {
      auto id = containerIdFromDirName(parts[k + 1]);
      if (!id) return std::nullopt;  // something below the pod that is not a container
      info.containerId = std::move(*id);
    }
    return info;
  }
  return std::nullopt;
}

std::string_view stripRuntimeScheme(std::string_view containerId) {
  const auto p = containerId.find("://");
  return p == std::string_view::npos ? containerId : containerId.substr(p + 3);
}

}  // namespace lg::agent
