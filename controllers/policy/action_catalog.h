#pragma once
// What the policy parser asks of the playbook's actions, without knowing any of them: whether a
// step may name an action, and what is wrong with the params the step gives it. The actions'
// ActionRegistry answers (controllers/actions/action_registry.h); each action owns its params.

#include <string>
#include <string_view>

#include "controllers/policy/field_reader.h"

namespace lg::policy {

class ActionCatalog {
 public:
  virtual ~ActionCatalog() = default;
  virtual bool knows(std::string_view action) const = 0;
  // The actions a step may name, for the error naming an unknown one: "annotate, event, ...".
  virtual std::string known() const = 0;
  // Records, through `params`, what is wrong with the params of a step naming `action` (known).
  virtual void checkParams(std::string_view action, const FieldReader& params) const = 0;
  // For an action this install of LeakGuard has but does not enable (the controller's
  // --actions), why a step may not name it; "" otherwise.
  virtual std::string notEnabled(std::string_view action) const {
    (void)action;
    return {};
  }
};

}  // namespace lg::policy
