#pragma once
// The pods of this node and their containers, from what the kubelet writes on the node rather
// than from the API server: the agent then needs no right to read pods at all (a pods list
// cannot be narrowed to one node by RBAC, and would show every pod's spec, env values
// included). The kubelet links each container's log as
//   /var/log/containers/<pod>_<namespace>_<container>-<container id>.log
//     -> <podLogsDir>/<namespace>_<pod>_<pod uid>/<container>/<restart count>.log
// (pod, namespace and container names cannot hold '_'; the id is 64 hex digits). The link's
// name gives the names and the container id, its target the pod's uid as the kubelet knows it
// (for a static pod, the uid its cgroup carries). Of several links of one container, the
// highest restart count is the running instance and the next one its previous (lastId).
// Links are only read (readlink), never followed, so the log files need not be mounted.
//
// Limits: the uid of a static pod is not its mirror pod's API uid, so the controller, which
// believes an agent only about pods the API server places on its node (by uid), keeps using
// metrics-server for static pods. Init and ephemeral containers are listed too; samples of
// containers the pod spec does not name are ignored by the controller.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controllers/agent/agent_pod.h"

namespace lg::agent {

struct ContainerLogLink {
  std::string pod;
  std::string ns;
  std::string container;
  std::string containerId;  // 64 hex digits
  std::string podUid;
  int restartCount = 0;
};

// nullopt unless both the name and the target have the kubelet's shape.
std::optional<ContainerLogLink> parseContainerLogLink(std::string_view fileName,
                                                      std::string_view target);

// The pods of `links` (in namespaces, if not empty), containers sorted by name. Container ids
// carry no runtime scheme ("<id>", not "containerd://<id>").
std::vector<std::shared_ptr<const AgentPod>> podsFromLogLinks(
    const std::vector<ContainerLogLink>& links, const std::vector<std::string>& namespaces);

// Reads the links in `dir` (the host's /var/log/containers). Entries that are not such links
// are skipped; an unreadable directory is an empty list (logged by the caller's health).
std::vector<ContainerLogLink> readContainerLogLinks(const std::string& dir);

}  // namespace lg::agent
