#include "operator/util/yaml_json.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <regex>
#include <string>

namespace lg {
namespace {

nlohmann::json scalar(const YAML::Node& n) {
  const std::string& s = n.Scalar();
  if (n.Tag() == "!") return s;  // quoted: always a string
  if (s == "null" || s == "~" || s.empty()) return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  static const std::regex kInt("^[-+]?[0-9]+$");
  static const std::regex kFloat(R"(^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$)");
  if (std::regex_match(s, kInt)) {
    int64_t v = 0;
    const char* b = s.data() + (s[0] == '+' ? 1 : 0);
    auto [p, ec] = std::from_chars(b, s.data() + s.size(), v);
    if (ec == std::errc() && p == s.data() + s.size()) return v;
  }
  if (std::regex_match(s, kFloat)) {
    try {
      return std::stod(s);
    } catch (...) {
    }
  }
  return s;
}

nlohmann::json convert(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return nullptr;
    case YAML::NodeType::Scalar:
      return scalar(n);
    case YAML::NodeType::Sequence: {
      nlohmann::json a = nlohmann::json::array();
      for (const auto& x : n)
        a.push_back(convert(x));
      return a;
    }
    case YAML::NodeType::Map: {
      nlohmann::json o = nlohmann::json::object();
      for (const auto& kv : n)
        o[kv.first.as<std::string>()] = convert(kv.second);
      return o;
    }
  }
  return nullptr;
}

}  // namespace

Result<std::vector<nlohmann::json>> yamlToJson(std::string_view yaml) {
  try {
    std::vector<nlohmann::json> out;
    for (const auto& doc : YAML::LoadAll(std::string(yaml))) {
      if (doc.IsNull()) continue;
      out.push_back(convert(doc));
    }
    return out;
  } catch (const YAML::Exception& e) {
    return makeError(std::string("YAML: ") + e.what());
  }
}

// ---- JSON to YAML ----

namespace {

// Whether a plain scalar would be read back as something other than this string.
bool needsQuotes(const std::string& s) {
  if (s.empty()) return true;
  std::string lower = s;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const char* word : {"true", "false", "null", "~", "yes", "no", "on", "off", "y", "n", ".nan",
                           ".inf", "-.inf", "+.inf"})
    if (lower == word) return true;
  char* end = nullptr;
  (void)std::strtod(s.c_str(), &end);
  return end != s.c_str() && *end == '\0';  // the whole string is a number
}

void emit(YAML::Emitter& e, const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::object:
      e << YAML::BeginMap;
      for (const auto& [k, v] : j.items()) {
        e << YAML::Key;
        if (needsQuotes(k))
          e << YAML::DoubleQuoted << k;
        else
          e << k;
        e << YAML::Value;
        emit(e, v);
      }
      e << YAML::EndMap;
      break;
    case nlohmann::json::value_t::array:
      e << YAML::BeginSeq;
      for (const auto& v : j)
        emit(e, v);
      e << YAML::EndSeq;
      break;
    case nlohmann::json::value_t::string: {
      const auto& s = j.get_ref<const std::string&>();
      if (needsQuotes(s))
        e << YAML::DoubleQuoted << s;
      else
        e << s;
      break;
    }
    case nlohmann::json::value_t::null:
    case nlohmann::json::value_t::discarded:
      e << YAML::Null;
      break;
    default:  // numbers and booleans: JSON's text is valid YAML
      e << j.dump();
      break;
  }
}

}  // namespace

std::string jsonToYaml(const nlohmann::json& j) {
  YAML::Emitter e;
  e << YAML::Block;
  emit(e, j);
  std::string out = e.c_str();
  if (out.empty() || out.back() != '\n') out += '\n';
  return out;
}

}  // namespace lg
