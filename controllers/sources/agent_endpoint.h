#pragma once
// AgentEndpoint: where a node agent answers, from its pod (the controller's informer over the
// agent pods: namespace of the agent DaemonSet, label app.kubernetes.io/name=leakguard-agent).
// Only running pods with an IP are endpoints.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace lg::sources {

inline constexpr const char* kAgentPodSelector = "app.kubernetes.io/name=leakguard-agent";

struct AgentEndpoint {
  std::string name;  // the agent pod ("" for a static endpoint)
  std::string node;
  std::string host;  // pod IP
  std::uint16_t port = 0;
};

// What the informer keeps of an agent pod.
struct AgentPodObject {
  std::string ns;
  std::string name;
  std::string node;
  std::string podIP;
  bool running = false;  // phase Running and not terminating
};

// nullopt without metadata.name. Never throws.
std::optional<AgentPodObject> projectAgentPodObject(const nlohmann::json& pod);

// The endpoints of running agent pods with an IP, on `port`.
std::vector<AgentEndpoint> agentEndpoints(
    const std::vector<std::shared_ptr<const AgentPodObject>>& pods, std::uint16_t port);

}  // namespace lg::sources
