#pragma once
// An RBAC rule as code declares it: what a piece of LeakGuard asks of the API server. The
// playbook's actions declare theirs (Action::permissions), the controller its own
// (controllers/reconcile/controller_permissions.h); `leakguard rbac` prints their union as the
// rules of a Role, the Helm chart grants the same rules, and tests/packaging/test_rbac.py
// compares the two.

#include <string>
#include <string_view>
#include <vector>

namespace lg::kube {

struct Permission {
  std::string group;                       // "" for the core group
  std::string resource;                    // "pods", or with its subresource: "pods/eviction"
  std::vector<std::string> verbs;          // get, list, watch, create, update, patch, delete
  std::vector<std::string> resourceNames;  // empty: any name
};

// Whether `rules` allow `verb` on group/resource (with subresource: "pods/eviction") and, for a
// call naming its object, that name. A create is never limited by name (RBAC cannot: the name
// is not known before the object exists), so a rule with resourceNames never allows one.
bool permits(const std::vector<Permission>& rules, std::string_view verb, std::string_view group,
             std::string_view resource, std::string_view name);

// One rule per (group, resource, resourceNames) with the union of their verbs, sorted: the
// form `leakguard rbac` prints and the chart's rules are compared in.
std::vector<Permission> mergePermissions(const std::vector<Permission>& rules);

}  // namespace lg::kube
