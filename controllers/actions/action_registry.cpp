#include "controllers/actions/action_registry.h"

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

void ActionRegistry::checkParams(std::string_view action, const policy::FieldReader& params) const {
  if (const Action* a = find(action)) a->checkParams(params);
}

}  // namespace lg::actions
