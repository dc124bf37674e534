#include "controllers/agent/agent_pod.h"

namespace lg::agent {
namespace {

const nlohmann::json* child(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(key);
  return it == j.end() ? nullptr : &*it;
}

std::string str(const nlohmann::json* j, const char* key) {
  if (!j) return {};
  const auto* v = child(*j, key);
  return v && v->is_string() ? v->get<std::string>() : std::string();
}

}  // namespace

std::optional<AgentPod> projectAgentPod(const nlohmann::json& pod) {
  const auto* md = child(pod, "metadata");
  AgentPod p;
  p.uid = str(md, "uid");
  p.name = str(md, "name");
  p.ns = str(md, "namespace");
  if (p.uid.empty() || p.name.empty()) return std::nullopt;
  p.cgroupUid = p.uid;
  if (const auto* ann = md ? child(*md, "annotations") : nullptr) {
    const std::string mirror = str(ann, "kubernetes.io/config.mirror");
    if (!mirror.empty()) p.cgroupUid = mirror;
  }
  const auto* spec = child(pod, "spec");
  if (const auto* cs = spec ? child(*spec, "containers") : nullptr; cs && cs->is_array()) {
    for (const auto& c : *cs) {
      const std::string name = str(&c, "name");
      if (!name.empty()) p.containers.push_back({name, "", ""});
    }
  }
  const auto* status = child(pod, "status");
  if (const auto* ss = status ? child(*status, "containerStatuses") : nullptr;
      ss && ss->is_array()) {
    for (const auto& s : *ss) {
      const std::string name = str(&s, "name");
      for (auto& c : p.containers) {
        if (c.name != name) continue;
        c.id = str(&s, "containerID");
        const auto* last = child(s, "lastState");
        const auto* term = last ? child(*last, "terminated") : nullptr;
        c.lastId = str(term, "containerID");
      }
    }
  }
  return p;
}

}  // namespace lg::agent
