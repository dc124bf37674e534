#pragma once
// YAML to JSON, for reading manifests (LeakPolicies, examples) the way kubectl sends them.
// Scalars become numbers or booleans when YAML 1.2's core schema says so ("42", "true"), strings
// otherwise; quoted scalars stay strings. Pure; thread-safe.

#include <nlohmann/json.hpp>
#include <string_view>
#include <vector>

#include "operator/util/result.h"

namespace lg {

// Every document of a multi-document YAML stream, in order; empty documents are skipped.
Result<std::vector<nlohmann::json>> yamlToJson(std::string_view yaml);

}  // namespace lg
