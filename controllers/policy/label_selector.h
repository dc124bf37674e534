#pragma once
// A Kubernetes label selector (matchLabels + matchExpressions), parsed from its JSON form and
// matched against a pod's labels. Immutable after parsing; thread-safe to share.

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "operator/util/result.h"

namespace lg::policy {

class LabelSelector {
 public:
  enum class Op { kIn, kNotIn, kExists, kDoesNotExist };
  struct Requirement {
    std::string key;
    Op op = Op::kExists;
    std::vector<std::string> values;
  };

  // Errors name the offending part relative to the selector: "matchExpressions[1].operator: ...".
  static Result<LabelSelector> parse(const nlohmann::json& j);

  bool matches(const std::map<std::string, std::string>& labels) const;
  bool empty() const { return matchLabels_.empty() && requirements_.empty(); }
  // The API's string form ("app=checkout,tier in (web,api)") for list/watch labelSelector.
  std::string toString() const;

 private:
  std::map<std::string, std::string> matchLabels_;
  std::vector<Requirement> requirements_;
};

}  // namespace lg::policy
