// The LeakPolicy CRD (crds/leakguard.io_leakpolicies.yaml) is the one place its defaults, ranges
// and enums are written; the build turns them into policy/policy_schema.h. These tests read the
// CRD itself and fail when the operator's validation or defaults say anything else: every
// minimum and maximum is accepted at the bound and refused just past it, with the field named;
// every default is what a policy that leaves the field out gets; every enum value is taken and
// nothing else. The drift they catch is a number written by hand in the operator instead of
// read from policy_schema.h (a bound of 40 where the CRD says 50 fails the range test), a field
// the parser does not read, or a generator that misreads the CRD. A field the CRD gains with a
// default must be added to kFields below.

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "controllers/detect/detector_options.h"
#include "controllers/policy/duration.h"
#include "controllers/policy/leak_policy.h"
#include "operator/util/yaml_json.h"
#include "tests/unit/actions/action_test_support.h"

namespace lg::policy {
namespace {

using nlohmann::json;

json crdSpecSchema() {
  std::ifstream in(std::string(LG_SOURCE_DIR) + "/crds/leakguard.io_leakpolicies.yaml");
  std::stringstream text;
  text << in.rdbuf();
  auto docs = yamlToJson(text.str());
  if (!docs) return json();
  return docs->at(0).at(
      json::json_pointer("/spec/versions/0/schema/openAPIV3Schema/properties/spec"));
}

// A property below spec: its path ("playbook.params.port"), its schema.
void leaves(const json& schema, const std::string& path, std::map<std::string, json>& out) {
  if (!schema.is_object()) return;
  if (!path.empty()) out[path] = schema;
  if (schema.contains("properties"))
    for (const auto& [k, v] : schema["properties"].items())
      leaves(v, path.empty() ? k : path + "." + k, out);
  if (schema.contains("items") && schema["items"].is_object()) {
    json items = schema["items"];
    if (!items.contains("properties")) {  // the items' own constraints (resources' enum)
      for (const auto& [k, v] : items.items())
        if (!out[path].contains(k)) out[path][k] = v;
    } else {
      leaves(items, path, out);
    }
  }
}

// A policy that is usable as it is, with `value` set at `path`; a playbook field goes into a
// step of an action that reads it.
json policyWith(const std::string& path, const json& value) {
  json p = {{"metadata", {{"name", "p"}, {"namespace", "shop"}}},
            {"spec", {{"selector", {{"matchLabels", {{"app", "shop"}}}}}}}};
  if (path.empty()) return p;
  json* at = &p["spec"];
  std::string rest = path;
  if (rest.rfind("playbook.", 0) == 0) {
    json step = {{"action", "event"}};
    if (rest.find("params.") != std::string::npos) {
      const std::string param = rest.substr(rest.rfind('.') + 1);
      if (param == "port" || param == "maxBytes" || param == "path" || param == "timeout")
        step = {{"action", "captureDiagnostics"},
                {"params", {{"port", 6060}, {"path", "/debug/pprof/heap"}}}};
      if (param == "factor" || param == "maxLimit") step = {{"action", "resizeLimits"}};
      if (param == "strategy") step = {{"action", "restart"}};
    }
    if (rest.find("when.restartsAtLeast") != std::string::npos) step["when"]["within"] = "1h";
    p["spec"]["playbook"] = json::array({step});
    at = &p["spec"]["playbook"][0];
    rest = rest.substr(std::string("playbook.").size());
  }
  for (std::size_t dot; (dot = rest.find('.')) != std::string::npos;) {
    at = &(*at)[rest.substr(0, dot)];
    rest = rest.substr(dot + 1);
  }
  (*at)[rest] = value;
  return p;
}

// How the operator names a field in its issues: "spec.playbook[0].params.port".
std::string issueField(const std::string& path) {
  if (path.rfind("playbook.", 0) == 0) return "spec.playbook[0]." + path.substr(9);
  return "spec." + path;
}

ParsedPolicy parse(const json& object) {
  return parseLeakPolicy(object, actions::testing::defaultActions());
}

bool refusedAt(const ParsedPolicy& p, const std::string& field) {
  for (const auto& i : p.issues)
    if (i.field == field) return true;
  return false;
}

// What the operator makes of each field the CRD gives a default: the parsed spec's value, as
// the CRD writes it (numbers as numbers, durations in seconds, enums by name).
using Getter = std::function<json(const LeakPolicySpec&)>;
const std::map<std::string, Getter>& kFields() {
  static const std::map<std::string, Getter> fields = {
      {"mode",
       [](const LeakPolicySpec& s) {
         return json(s.mode == Mode::kObserve ? "Observe" : "Enforce");
       }},
      {"resources",
       [](const LeakPolicySpec& s) {
         json out = json::array();
         for (auto r : s.resources)
           out.push_back(std::string(detect::name(r)));
         return out;
       }},
      {"detection.margin", [](const LeakPolicySpec& s) { return json(s.detection.margin); }},
      {"detection.horizon",
       [](const LeakPolicySpec& s) { return json(s.detection.horizonSeconds); }},
      {"detection.minGrowth",
       [](const LeakPolicySpec& s) { return json(s.detection.minGrowthSeconds); }},
      {"budgets.maxUnavailable",
       [](const LeakPolicySpec& s) { return json(s.budgets.maxUnavailable); }},
      {"budgets.maxActionsPerHour",
       [](const LeakPolicySpec& s) { return json(s.budgets.maxActionsPerHour); }},
      {"budgets.cooldown", [](const LeakPolicySpec& s) { return json(s.budgets.cooldownSeconds); }},
      {"incidents.keep", [](const LeakPolicySpec& s) { return json(s.keepIncidents); }},
      {"recommendations.enabled",
       [](const LeakPolicySpec& s) { return json(s.recommendations.enabled); }},
      {"recommendations.requestQuantile",
       [](const LeakPolicySpec& s) { return json(s.recommendations.requestQuantile); }},
      {"recommendations.headroomPercent",
       [](const LeakPolicySpec& s) { return json(s.recommendations.headroomPercent); }},
      {"recommendations.minHistory",
       [](const LeakPolicySpec& s) { return json(s.recommendations.minHistorySeconds); }},
  };
  return fields;
}

// A CRD default as the getters give it: durations in seconds.
json expectedDefault(const json& d) {
  if (d.is_string()) {
    auto seconds = parseDuration(d.get<std::string>());
    if (seconds) return json(*seconds);
  }
  return d;
}

class PolicySchemaDriftTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const json spec = crdSpecSchema();
    ASSERT_TRUE(spec.is_object()) << "cannot read the LeakPolicy CRD";
    leaves(spec, "", fields_);
    ASSERT_GT(fields_.size(), 30u);
    ASSERT_TRUE(parse(policyWith("", nullptr)).usable())
        << parse(policyWith("", nullptr)).summary();
  }
  std::map<std::string, json> fields_;
};

TEST_F(PolicySchemaDriftTest, EveryRangeOfTheCrdIsTheOperators) {
  int bounds = 0;
  for (const auto& [path, schema] : fields_) {
    const bool integer = schema.value("type", "") == "integer";
    const double step = integer ? 1 : 0.001;
    const auto value = [&](double v) { return integer ? json(std::llround(v)) : json(v); };
    if (schema.contains("maximum")) {
      const double max = schema["maximum"].get<double>();
      const auto at = parse(policyWith(path, value(max)));
      EXPECT_FALSE(refusedAt(at, issueField(path)))
          << path << " = " << max << " (the CRD's maximum) is refused: " << at.summary();
      EXPECT_TRUE(refusedAt(parse(policyWith(path, value(max + step))), issueField(path)))
          << path << " = " << max + step << " (above the CRD's maximum) is taken";
      ++bounds;
    }
    if (schema.contains("minimum")) {
      const double min = schema["minimum"].get<double>();
      const auto at = parse(policyWith(path, value(min)));
      EXPECT_FALSE(refusedAt(at, issueField(path)))
          << path << " = " << min << " (the CRD's minimum) is refused: " << at.summary();
      EXPECT_TRUE(refusedAt(parse(policyWith(path, value(min - step))), issueField(path)))
          << path << " = " << min - step << " (below the CRD's minimum) is taken";
      ++bounds;
    }
  }
  EXPECT_GE(bounds, 18);  // the ranges of today's CRD: a walk that finds none checks nothing
}

TEST_F(PolicySchemaDriftTest, EveryDefaultOfTheCrdIsTheOperators) {
  const auto parsed = parse(policyWith("", nullptr));
  int defaults = 0;
  for (const auto& [path, schema] : fields_) {
    if (!schema.contains("default")) continue;
    auto it = kFields().find(path);
    ASSERT_NE(it, kFields().end())
        << "the CRD gives " << path << " a default; add what the operator makes of it to kFields";
    EXPECT_EQ(it->second(parsed.spec), expectedDefault(schema["default"]))
        << path << ": the CRD's default is " << schema["default"];
    ++defaults;
  }
  EXPECT_EQ(defaults, static_cast<int>(kFields().size()));
}

TEST_F(PolicySchemaDriftTest, EveryEnumValueOfTheCrdIsTakenAndNothingElse) {
  int values = 0;
  for (const auto& [path, schema] : fields_) {
    if (!schema.contains("enum") || path == "playbook.action") continue;  // actions: registry test
    if (path.find("matchExpressions") != std::string::npos) continue;     // selector: its own test
    const bool list = schema.value("type", "") == "array";
    for (const auto& v : schema["enum"]) {
      json value = list ? json::array({v}) : v;
      if (path == "workloadRef.kind") {
        auto p = policyWith("", nullptr);
        p["spec"].erase("selector");
        p["spec"]["workloadRef"] = {{"kind", v}, {"name", "web"}};
        EXPECT_TRUE(parse(p).usable()) << path << " = " << v << ": " << parse(p).summary();
      } else {
        const auto p = parse(policyWith(path, value));
        EXPECT_TRUE(p.usable()) << path << " = " << v << ": " << p.summary();
      }
      ++values;
    }
    json bogus = list ? json::array({"Bogus"}) : json("Bogus");
    if (path == "workloadRef.kind") {
      auto p = policyWith("", nullptr);
      p["spec"].erase("selector");
      p["spec"]["workloadRef"] = {{"kind", "Bogus"}, {"name", "web"}};
      EXPECT_FALSE(parse(p).usable()) << path << " = Bogus is taken";
    } else {
      EXPECT_FALSE(parse(policyWith(path, bogus)).usable()) << path << " = Bogus is taken";
    }
  }
  EXPECT_GE(values, 11);
}

// The detector's own defaults (tuned on the labelled traces, BENCHMARKS.md) are what a policy
// gets when it says nothing: `leakguard analyze` and a LeakPolicy judge alike.
TEST_F(PolicySchemaDriftTest, TheDetectorsDefaultsAreTheCrds) {
  const detect::DetectorOptions d;
  EXPECT_EQ(d.margin, schema::kDetectionMarginDefault);
  EXPECT_EQ(d.horizonSeconds, schema::kDetectionHorizonDefaultSeconds);
  EXPECT_EQ(d.minGrowthSeconds, schema::kDetectionMinGrowthDefaultSeconds);
  EXPECT_EQ(fields_["detection.margin"]["default"].get<double>(), d.margin);
}

// The generated constants are the CRD's as it stands (the build wrote them from it).
TEST_F(PolicySchemaDriftTest, TheGeneratedConstantsAreTheCrds) {
  EXPECT_EQ(fields_["detection.margin"]["minimum"].get<double>(), schema::kDetectionMarginMinimum);
  EXPECT_EQ(fields_["detection.margin"]["maximum"].get<double>(), schema::kDetectionMarginMaximum);
  EXPECT_EQ(fields_["incidents.keep"]["maximum"].get<int>(), schema::kIncidentsKeepMaximum);
  EXPECT_EQ(fields_["recommendations.minHistory"]["default"].get<std::string>(),
            schema::kRecommendationsMinHistoryDefault);
  EXPECT_EQ(schema::kRecommendationsMinHistoryMaximumSeconds, 6 * 3600.0);
  EXPECT_EQ(fields_["mode"]["enum"].size(), schema::kModeEnum.size());
}

}  // namespace
}  // namespace lg::policy
