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

}  // namespace lg::actions
