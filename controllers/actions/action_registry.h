#pragma once
// The actions a playbook can name, registered explicitly at wiring time (house rule 8) and
// found by the step's action name. Registering a second action under a name replaces the first
// (tests swap in fakes that way). Not thread-safe while registering; everything else is safe
// from any thread once wiring is done.
//
// It is also what the rest of the operator knows of the actions: the policy parser's catalog
// (which names a step may use, whether its params suit the action) and the traits the planner,
// the executor and the reconcilers go by (actions::ActionTraits); none of them names an action.

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "controllers/actions/action.h"
#include "controllers/policy/action_catalog.h"

namespace lg::actions {

class ActionRegistry final : public policy::ActionCatalog {
 public:
  void add(std::unique_ptr<Action> action);
  // nullptr when nothing is registered under `name`.
  const Action* find(std::string_view name) const;
  std::size_t size() const { return actions_.size(); }
  // The traits of the action of that name; an unknown one (a journal entry of an action since
  // removed) has none: a record step.
  ActionTraits traits(std::string_view name) const;

  // Takes out every action not named in `enabled` (the controller's --actions): a step naming
  // one is refused at parse time, saying so. Returns the names in `enabled` that are no action.
  std::vector<std::string> enableOnly(const std::vector<std::string>& enabled);
  // Every action's name, enabled or not.
  std::vector<std::string> allNames() const;
  // The RBAC rules of the enabled actions (not merged).
  std::vector<kube::Permission> permissions() const;

  bool knows(std::string_view action) const override { return find(action) != nullptr; }
  std::string known() const override;
  void checkParams(std::string_view action, const policy::FieldReader& params) const override;
  std::string notEnabled(std::string_view action) const override;

 private:
  std::map<std::string, std::unique_ptr<Action>, std::less<>> actions_;
  std::map<std::string, std::unique_ptr<Action>, std::less<>> disabled_;
};

}  // namespace lg::actions
