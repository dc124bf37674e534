#pragma once
// AgentPod: what the node agent keeps of each Pod on its node (the informer's projection):
// identity, the uid its cgroups are named with, and per container the current and previous
// container ids. Never the whole object.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace lg::agent {

struct AgentContainer {
  std::string name;
  std::string id;      // status containerID, "containerd://<id>"; "" before it started
  std::string lastId;  // lastState.terminated.containerID: the instance before a restart
};

struct AgentPod {
  std::string uid;
  // The uid in the pod's cgroup name: the API uid, except for a static pod's mirror, whose
  // cgroup carries the config hash (annotation kubernetes.io/config.mirror).
  std::string cgroupUid;
  std::string ns;
  std::string name;
  std::vector<AgentContainer> containers;  // spec order; regular containers only
};

// nullopt without metadata.uid and name. Tolerates missing and mistyped fields. Never throws.
std::optional<AgentPod> projectAgentPod(const nlohmann::json& pod);

}  // namespace lg::agent
