#include "operator/cli/rbac_command.h"

#include <nlohmann/json.hpp>
#include <ostream>

#include "controllers/actions/beast_http_fetcher.h"
#include "controllers/actions/default_actions.h"
#include "controllers/reconcile/controller_permissions.h"
#include "operator/cli/comma_list.h"

namespace lg::cli {
namespace {

std::string flowList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i)
    out += (i ? ", " : "") + (items[i].empty() ? std::string("\"\"") : items[i]);
  return out + "]";
}

}  // namespace

Status enableActions(actions::ActionRegistry& registry, std::string_view list) {
  const std::string all(trimBlanks(list));
  if (all == "all") return okStatus();
  std::vector<std::string> names;
  if (all != "none") {
    for (const std::string_view name : splitCommaList(all)) {
      if (name.empty())
        return makeError("--actions: an empty name in \"" + all + "\" (all, none, or names)");
      names.emplace_back(name);
    }
    if (names.empty()) return makeError("--actions: no action named (all, none, or names)");
  }
  const auto every = registry.allNames();
  auto unknown = registry.enableOnly(names);
  if (!unknown.empty()) {
    std::string have;
    for (const auto& n : every)
      have += (have.empty() ? "" : ", ") + n;
    return makeError("--actions: no action \"" + unknown.front() + "\"; the actions are " + have);
  }
  return okStatus();
}

int runRbac(const RbacFlags& flags, std::ostream& out, std::ostream& err) {
  actions::BeastHttpFetcher fetcher;  // never used: nothing runs
  actions::ActionRegistry registry;
  actions::registerDefaultActions(registry, fetcher);
  if (auto s = enableActions(registry, flags.actions); !s) {
    err << "leakguard rbac: " << s.error().message << "\n";
    return 2;
  }
  const auto rules =
      reconcile::controllerPermissions(registry, flags.nodeAccess, flags.agentSigner);
  if (flags.output == "json") {
    auto arr = nlohmann::json::array();
    for (const auto& r : rules) {
      nlohmann::json j = {
          {"apiGroups", {r.group}}, {"resources", {r.resource}}, {"verbs", r.verbs}};
      if (!r.resourceNames.empty()) j["resourceNames"] = r.resourceNames;
      arr.push_back(std::move(j));
    }
    out << arr.dump(2) << "\n";
    return 0;
  }
  out << "# The controller's RBAC with actions: "
      << (registry.known().empty() ? "none" : registry.known())
      << (flags.nodeAccess ? "" : " (no node access)") << ".\n"
      << "# Leader election's Lease is a Role of its own, in the release namespace.\n"
      << "rules:\n";
  for (const auto& r : rules) {
    out << "  - apiGroups: " << flowList({r.group}) << "\n"
        << "    resources: " << flowList({r.resource}) << "\n";
    if (!r.resourceNames.empty()) out << "    resourceNames: " << flowList(r.resourceNames) << "\n";
    out << "    verbs: " << flowList(r.verbs) << "\n";
  }
  return 0;
}

}  // namespace lg::cli
