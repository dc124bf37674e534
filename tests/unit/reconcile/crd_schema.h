#pragma once
// What the API server would do with an object written against one of LeakGuard's CRDs
// (crds/): the fields it would prune (not declared, so silently dropped), the types and enum
// values it would refuse, the required fields it would miss. For the tests that hold what the
// operator writes against the CRDs, the schemas' one source.

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "operator/util/yaml_json.h"

namespace lg::testing {

// The openAPIV3Schema of crds/<file> (LG_SOURCE_DIR must name the source tree); null if unread.
inline nlohmann::json crdSchema(const std::string& file) {
  std::ifstream in(std::string(LG_SOURCE_DIR) + "/crds/" + file);
  std::stringstream text;
  text << in.rdbuf();
  auto docs = yamlToJson(text.str());
  if (!docs || docs->empty()) return nullptr;
  return docs->at(0).at(nlohmann::json::json_pointer("/spec/versions/0/schema/openAPIV3Schema"));
}

// Each thing of `value` the schema would not keep as written: "status.usage.points[3].x: not
// declared (pruned)". The root's metadata is the API server's own and is not checked.
inline void schemaViolations(const nlohmann::json& value, const nlohmann::json& schema,
                             const std::string& path, std::vector<std::string>& out) {
  const std::string type = schema.value("type", "");
  const auto wrong = [&](const std::string& what) { out.push_back(path + ": " + what); };
  if (schema.value("x-kubernetes-int-or-string", false)) {
    if (!value.is_number_integer() && !value.is_string()) wrong("neither an integer nor a string");
    return;
  }
  if (type == "object") {
    if (!value.is_object()) return wrong("not an object");
    for (const auto& r : schema.value("required", nlohmann::json::array()))
      if (!value.contains(r.get<std::string>())) wrong("lacks required " + r.get<std::string>());
    if (schema.value("x-kubernetes-preserve-unknown-fields", false)) return;
    const auto props = schema.value("properties", nlohmann::json::object());
    for (const auto& [k, v] : value.items()) {
      const std::string at = path.empty() ? k : path + "." + k;
      if (path.empty() && k == "metadata") continue;
      if (props.contains(k)) {
        schemaViolations(v, props[k], at, out);
      } else if (schema.contains("additionalProperties") &&
                 schema["additionalProperties"].is_object()) {
        schemaViolations(v, schema["additionalProperties"], at, out);
      } else {
        out.push_back(at + ": not declared (the API server prunes it)");
      }
    }
  } else if (type == "array") {
    if (!value.is_array()) return wrong("not an array");
    if (schema.contains("maxItems") && value.size() > schema["maxItems"].get<std::size_t>())
      wrong("more than maxItems " + schema["maxItems"].dump());
    for (std::size_t i = 0; i < value.size(); ++i)
      schemaViolations(value[i], schema.value("items", nlohmann::json::object()),
                       path + "[" + std::to_string(i) + "]", out);
  } else if (type == "string") {
    if (!value.is_string()) return wrong("not a string: " + value.dump());
  } else if (type == "integer") {
    if (!value.is_number_integer()) wrong("not an integer: " + value.dump());
  } else if (type == "number") {
    if (!value.is_number()) wrong("not a number: " + value.dump());
  } else if (type == "boolean") {
    if (!value.is_boolean()) wrong("not a boolean: " + value.dump());
  }
  if (schema.contains("enum")) {
    bool found = false;
    for (const auto& e : schema["enum"])
      found |= e == value;
    if (!found) wrong(value.dump() + " is not one of " + schema["enum"].dump());
  }
}

inline std::vector<std::string> schemaViolations(const nlohmann::json& value,
                                                 const nlohmann::json& schema) {
  std::vector<std::string> out;
  schemaViolations(value, schema, "", out);
  return out;
}

}  // namespace lg::testing
