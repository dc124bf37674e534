#include "controllers/actions/action_registry.h"

#include <algorithm>

namespace lg::actions {

void ActionRegistry::add(std::unique_ptr<Action> action) {
  if (!action) return;
  std::string key(action->name());
  actions_[key] = std::move(action);
}

const Action* ActionRegistry::find(std::string_view name) const {
  auto it = actions_.find(name);
  return it == actions_.end() ? nullptr : it->second.get();
}

ActionTraits ActionRegistry::traits(std::string_view name) const {
  const Action* a = find(name);
  return a ? a->traits() : ActionTraits{.shownAsLastAction = false};
}

std::string ActionRegistry::known() const {
  std::string out;
  for (const auto& [name, action] : actions_)
    out += (out.empty() ? "" : ", ") + name;
  return out;
}

std::vector<std::string> ActionRegistry::enableOnly(const std::vector<std::string>& enabled) {
  std::vector<std::string> unknown;
  for (const auto& name : enabled)
    if (!actions_.count(name) && !disabled_.count(name)) unknown.push_back(name);
  for (auto it = actions_.begin(); it != actions_.end();) {
    if (std::find(enabled.begin(), enabled.end(), it->first) != enabled.end()) {
      ++it;
      continue;
    }
    disabled_[it->first] = std::move(it->second);
    it = actions_.erase(it);
  }
  return unknown;
}

std::vector<std::string> ActionRegistry::allNames() const {
  std::vector<std::string> out;
  for (const auto& [name, a] : actions_)
    out.push_back(name);
  for (const auto& [name, a] : disabled_)
    out.push_back(name);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<kube::Permission> ActionRegistry::permissions() const {
  std::vector<kube::Permission> out;
  for (const auto& [name, a] : actions_) {
    auto p = a->permissions();
    out.insert(out.end(), p.begin(), p.end());
  }
  return out;
}

std::string ActionRegistry::notEnabled(std::string_view action) const {
  if (!disabled_.count(action)) return {};
  return "action \"" + std::string(action) +
         "\" is not enabled in this LeakGuard (the controller's --actions, the Helm value "
         "actions." +
         std::string(action) + "); enabled: " + (actions_.empty() ? "none" : known());
}

void ActionRegistry::checkParams(std::string_view action, const policy::FieldReader& params) const {
  if (const Action* a = find(action)) a->checkParams(params);
}

}  // namespace lg::actions
