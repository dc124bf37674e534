#pragma once
// `leakguard rbac`: the RBAC rules the controller needs, for the actions it is told to enable
// (`--actions`, as the controller takes it) and with or without node access. What a platform
// team reviews before granting them; the Helm chart grants exactly these
// (tests/packaging/test_rbac.py compares them for several sets of values).

#include <iosfwd>
#include <string>
#include <string_view>

#include "controllers/actions/action_registry.h"
#include "operator/util/result.h"

namespace lg::cli {

struct RbacFlags {
  std::string actions = "all";
  bool nodeAccess = true;
  bool agentSigner = false;     // the controller signs the agents' certificates
  std::string output = "yaml";  // yaml (a Role's rules:) or json
};

// `list`: "all", "none", or action names separated by commas. Disables every action of
// `registry` not named; an error names what is not an action, and the actions there are.
Status enableActions(actions::ActionRegistry& registry, std::string_view list);

int runRbac(const RbacFlags& flags, std::ostream& out, std::ostream& err);

}  // namespace lg::cli
