#pragma once
// AgentEndpoint: where a node agent answers, from its pod (the controller's informer over the
// agent pods: namespace of the agent DaemonSet, label app.kubernetes.io/name=leakguard-agent).
// Only running, Ready pods with an IP are endpoints: an agent asking for its per-node
// certificate is not Ready until it serves it (its readinessProbe, /readyz), so the controller
// never meets the temporary self-signed one.

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
  bool ready = false;    // condition Ready is True
};

// nullopt without metadata.name. Never throws.
std::optional<AgentPodObject> projectAgentPodObject(const nlohmann::json& pod);

// The endpoints of running, Ready agent pods with an IP, on `port`.
std::vector<AgentEndpoint> agentEndpoints(
    const std::vector<std::shared_ptr<const AgentPodObject>>& pods, std::uint16_t port);

}  // namespace lg::sources
