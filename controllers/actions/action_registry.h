#pragma once
// The actions a playbook can name, registered explicitly at wiring time (house rule 8) and
// found by the step's action name. Registering a second action under a name replaces the first
// (tests swap in fakes that way). Not thread-safe while registering; find() is safe from any
// thread once wiring is done.

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "controllers/actions/action.h"

namespace lg::actions {

class ActionRegistry {
 public:
  void add(std::unique_ptr<Action> action);
  // nullptr when nothing is registered under `name`.
  const Action* find(std::string_view name) const;
  const Action* find(policy::ActionKind kind) const { return find(policy::name(kind)); }
  std::size_t size() const { return actions_.size(); }

 private:
  std::map<std::string, std::unique_ptr<Action>, std::less<>> actions_;
};

}  // namespace lg::actions
