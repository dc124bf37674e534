#include "operator/kube/permission.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

namespace lg::kube {

bool permits(const std::vector<Permission>& rules, std::string_view verb, std::string_view group,
             std::string_view resource, std::string_view name) {
  for (const auto& r : rules) {
    if (r.group != group || r.resource != resource) continue;
    if (std::find(r.verbs.begin(), r.verbs.end(), verb) == r.verbs.end()) continue;
    if (r.resourceNames.empty()) return true;
    if (verb == "create" || name.empty()) continue;
    if (std::find(r.resourceNames.begin(), r.resourceNames.end(), name) != r.resourceNames.end())
      return true;
  }
  return false;
}

std::vector<Permission> mergePermissions(const std::vector<Permission>& rules) {
  using Key = std::tuple<std::string, std::string, std::vector<std::string>>;
  std::map<Key, std::set<std::string>> merged;
  for (const auto& r : rules) {
    auto names = r.resourceNames;
    std::sort(names.begin(), names.end());
    auto& verbs = merged[{r.group, r.resource, names}];
    verbs.insert(r.verbs.begin(), r.verbs.end());
  }
  std::vector<Permission> out;
  for (const auto& [key, verbs] : merged) {
    const auto& [group, resource, names] = key;
    out.push_back({group, resource, {verbs.begin(), verbs.end()}, names});
  }
  return out;
}

}  // namespace lg::kube
