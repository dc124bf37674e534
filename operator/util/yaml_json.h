#pragma once
// YAML to JSON, for reading manifests (LeakPolicies, examples) the way kubectl sends them.
// Scalars become numbers or booleans when YAML 1.2's core schema says so ("42", "true"), strings
// otherwise; quoted scalars stay strings. And JSON to YAML, for the CLI's `-o yaml`. Pure;
// thread-safe.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "operator/util/result.h"

namespace lg {

// Every document of a multi-document YAML stream, in order; empty documents are skipped.
Result<std::vector<nlohmann::json>> yamlToJson(std::string_view yaml);

// One JSON value as a YAML document: block style, keys in the JSON's order, strings that YAML
// would read as another type (numbers, booleans, null, "") double-quoted, so that yamlToJson
// reads it back as the same JSON.
std::string jsonToYaml(const nlohmann::json& j);

}  // namespace lg
