#include "controllers/sources/agent_endpoint.h"

#include <memory>

namespace lg::sources {
namespace {

std::string str(const nlohmann::json& j, const char* a, const char* b) {
  if (!j.is_object()) return {};
  auto it = j.find(a);
  if (it == j.end() || !it->is_object()) return {};
  auto v = it->find(b);
  return v != it->end() && v->is_string() ? v->get<std::string>() : std::string();
}

}  // namespace

std::optional<AgentPodObject> projectAgentPodObject(const nlohmann::json& pod) {
  AgentPodObject p;
  p.name = str(pod, "metadata", "name");
  if (p.name.empty()) return std::nullopt;
  p.ns = str(pod, "metadata", "namespace");
  p.node = str(pod, "spec", "nodeName");
  p.podIP = str(pod, "status", "podIP");
  bool terminating = false;
  if (pod.is_object()) {
    if (auto md = pod.find("metadata"); md != pod.end() && md->is_object())
      terminating = md->contains("deletionTimestamp") && !(*md)["deletionTimestamp"].is_null();
  }
  p.running = str(pod, "status", "phase") == "Running" && !terminating;
  if (pod.is_object() && pod.contains("status") && pod["status"].is_object()) {
    const auto& st = pod["status"];
    if (auto c = st.find("conditions"); c != st.end() && c->is_array())
      for (const auto& cond : *c)
        if (cond.is_object() && cond.value("type", nlohmann::json()) == "Ready" &&
            cond.value("status", nlohmann::json()) == "True")
          p.ready = true;
  }
  return p;
}

std::vector<AgentEndpoint> agentEndpoints(
    const std::vector<std::shared_ptr<const AgentPodObject>>& pods, std::uint16_t port) {
  std::vector<AgentEndpoint> out;
  for (const auto& p : pods) {
    if (!p || !p->running || !p->ready || p->podIP.empty()) continue;
    out.push_back({p->name, p->node, p->podIP, port});
  }
  return out;
}

}  // namespace lg::sources
