#include "controllers/policy/leak_policy.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "operator/util/yaml_json.h"
#include "tests/unit/actions/action_test_support.h"

namespace lg::policy {
namespace {

// Parsed against the actions the controller registers.
ParsedPolicy parseLeakPolicy(const nlohmann::json& object) {
  return policy::parseLeakPolicy(object, actions::testing::defaultActions());
}

nlohmann::json policy(const std::string& specYaml) {
  auto docs = yamlToJson(
      "apiVersion: leakguard.io/v1alpha1\nkind: LeakPolicy\n"
      "metadata: {name: p, namespace: ns}\nspec:\n" +
      specYaml);
  EXPECT_TRUE(docs.ok()) << docs.error().message;
  return docs->at(0);
}

TEST(LeakPolicy, ParsesTheIssueExample) {
  const auto p = parseLeakPolicy(policy(R"(
  selector: {matchLabels: {app: checkout}}
  mode: Enforce
  resources: [memory, fds]
  playbook:
  - action: captureDiagnostics
    params: {port: 6060, path: /debug/pprof/heap}
  - action: restart
    when: {exhaustionWithin: 30m}
  - action: rollback
    when: {restartsAtLeast: 3, within: 2h}
  budgets: {maxUnavailable: 1, maxActionsPerHour: 4, cooldown: 10m}
)"));
  ASSERT_TRUE(p.usable()) << p.summary();
  const auto& s = p.spec;
  EXPECT_EQ(s.mode, Mode::kEnforce);
  EXPECT_TRUE(s.watches(detect::Resource::kMemory));
  EXPECT_TRUE(s.watches(detect::Resource::kFds));
  EXPECT_FALSE(s.watches(detect::Resource::kThreads));
  ASSERT_EQ(s.playbook.size(), 3u);
  EXPECT_EQ(s.playbook[0].action, "captureDiagnostics");
  EXPECT_EQ(s.playbook[0].params.value("port", 0), 6060);
  EXPECT_EQ(*s.playbook[1].when.exhaustionWithinSeconds, 1800);
  EXPECT_EQ(*s.playbook[2].when.restartsAtLeast, 3);
  EXPECT_EQ(*s.playbook[2].when.withinSeconds, 7200);
  EXPECT_EQ(s.budgets.maxActionsPerHour, 4);
  EXPECT_EQ(s.budgets.cooldownSeconds, 600);
  EXPECT_TRUE(s.selector->matches({{"app", "checkout"}, {"x", "y"}}));
  EXPECT_FALSE(s.selector->matches({{"app", "cart"}}));
}

TEST(LeakPolicy, DefaultsWhenFieldsAreAbsent) {
  const auto p = parseLeakPolicy(policy("  workloadRef: {kind: StatefulSet, name: db}\n"));
  ASSERT_TRUE(p.usable()) << p.summary();
  EXPECT_EQ(p.spec.mode, Mode::kObserve);
  EXPECT_EQ(p.spec.resources, std::vector<detect::Resource>{detect::Resource::kMemory});
  EXPECT_EQ(p.spec.detection.margin, 10);
  EXPECT_EQ(p.spec.budgets.maxUnavailable, 1);
  EXPECT_EQ(p.spec.keepIncidents, 20);
  EXPECT_EQ(p.spec.workloadRef->kind, "StatefulSet");
}

TEST(LeakPolicy, ListsEveryIssueWithItsField) {
  const auto p = parseLeakPolicy(policy(R"(
  selector: {}
  mode: Sometimes
  resources: [memory, disk]
  playbook:
  - action: captureDiagnostics
    params: {port: 70000}
  - action: restart
    when: {exhaustionWithin: "30"}
  - action: rollback
    when: {restartsAtLeast: 3}
  - action: explode
  budgets: {maxUnavailable: 0, cooldown: soon}
)"));
  EXPECT_FALSE(p.usable());
  auto has = [&](const std::string& field, const std::string& fragment) {
    for (const auto& i : p.issues)
      if (i.field == field && i.message.find(fragment) != std::string::npos) return true;
    return false;
  };
  EXPECT_TRUE(has("spec.selector", "empty selector")) << p.summary();
  EXPECT_TRUE(has("spec.mode", "must be Observe or Enforce")) << p.summary();
  EXPECT_TRUE(has("spec.resources[1]", "memory, fds or threads")) << p.summary();
  EXPECT_TRUE(has("spec.playbook[0].params.port", "between 1 and 65535")) << p.summary();
  EXPECT_TRUE(has("spec.playbook[0].params", "needs params.port and params.path")) << p.summary();
  EXPECT_TRUE(
      has("spec.playbook[1].when.exhaustionWithin", "must be a duration such as 30m, got \"30\""))
      << p.summary();
  EXPECT_TRUE(has("spec.playbook[2].when.restartsAtLeast", "needs within")) << p.summary();
  EXPECT_TRUE(has("spec.playbook[3].action", "unknown action \"explode\"")) << p.summary();
  EXPECT_TRUE(has("spec.budgets.maxUnavailable", "at least 1")) << p.summary();
  EXPECT_TRUE(has("spec.budgets.cooldown", "duration")) << p.summary();
}

// Issue 11, finding 4: unnamed steps were "step-<index>", so inserting a step renamed the ones
// after it and their journal entries no longer counted: an escalation ran again.
TEST(LeakPolicy, AnUnnamedStepKeepsItsIdentityWhenStepsAreInsertedAroundIt) {
  const auto before = parseLeakPolicy(policy(R"(
  selector: {matchLabels: {app: a}}
  playbook:
  - action: restart
  - action: rollback
)"));
  const auto after = parseLeakPolicy(policy(R"(
  selector: {matchLabels: {app: a}}
  playbook:
  - action: captureDiagnostics
    params: {port: 6060, path: /debug/pprof/heap}
  - action: event
  - action: restart
  - {action: rollback}
)"));
  ASSERT_TRUE(before.usable()) << before.summary();
  ASSERT_TRUE(after.usable()) << after.summary();
  EXPECT_EQ(before.spec.playbook[0].name, after.spec.playbook[2].name);
  EXPECT_EQ(before.spec.playbook[1].name, after.spec.playbook[3].name);
  EXPECT_EQ(before.spec.playbook[0].name.rfind("restart-", 0), 0u) << before.spec.playbook[0].name;
  EXPECT_EQ(before.spec.playbook[0].name.size(), std::string("restart-").size() + 6);
  // Editing a step makes it another step; naming it keeps it whatever is edited.
  const auto edited = parseLeakPolicy(policy(R"(
  selector: {matchLabels: {app: a}}
  playbook:
  - action: restart
    params: {strategy: rolloutRestart}
)"));
  EXPECT_NE(edited.spec.playbook[0].name, before.spec.playbook[0].name);
}

TEST(LeakPolicy, StepNamesAreUnique) {
  const auto p = parseLeakPolicy(policy(R"(
  selector: {matchLabels: {app: a}}
  playbook:
  - {name: first, action: restart}
  - {name: first, action: rollback}
)"));
  EXPECT_FALSE(p.usable());
  EXPECT_NE(p.summary().find("two steps are named \"first\""), std::string::npos) << p.summary();
  // Two unnamed steps that say the same thing are the same step twice.
  const auto twice = parseLeakPolicy(policy(R"(
  selector: {matchLabels: {app: a}}
  playbook:
  - action: restart
  - action: restart
)"));
  EXPECT_FALSE(twice.usable());
  EXPECT_NE(twice.summary().find("a step without a name repeats another"), std::string::npos)
      << twice.summary();
}

TEST(LeakPolicy, SelectorAndWorkloadRefAreExclusive) {
  EXPECT_FALSE(parseLeakPolicy(policy("  mode: Observe\n")).usable());
  const auto both = parseLeakPolicy(
      policy("  selector: {matchLabels: {a: b}}\n  workloadRef: {kind: Deployment, name: x}\n"));
  EXPECT_FALSE(both.usable());
  EXPECT_NE(both.summary().find("exactly one of selector and workloadRef"), std::string::npos);
}

TEST(LeakPolicy, WrongTypesAreIssuesNotCrashes) {
  auto p = parseLeakPolicy(nlohmann::json::parse(
      R"({"spec": {"selector": {"matchLabels": {"a": 1}}, "mode": 3, "playbook": {"x": 1},
          "budgets": "lots", "resources": "memory", "detection": {"margin": "high"}}})"));
  EXPECT_FALSE(p.usable());
  EXPECT_GE(p.issues.size(), 4u) << p.summary();
  EXPECT_FALSE(parseLeakPolicy(nlohmann::json::array()).usable());
  EXPECT_FALSE(parseLeakPolicy(nlohmann::json(nullptr)).usable());
}

// What the schema lets by and nothing could mean (issue 12): a duration of zero; a name too long
// to label the incidents.
TEST(LeakPolicy, ZeroDurationsAndOverlongNamesAreIssues) {
  auto p = parseLeakPolicy(policy(R"(  selector: {matchLabels: {a: b}}
  detection: {horizon: 0s, minGrowth: 0m}
  budgets: {cooldown: 0.0s}
  playbook:
  - {name: keep, action: captureDiagnostics, params: {port: 1, path: /x, timeout: 0ms}}
  - {name: go, action: restart, when: {exhaustionWithin: 0h, within: 0s}}
)"));
  std::set<std::string> fields;
  for (const auto& i : p.issues) {
    fields.insert(i.field);
    EXPECT_NE(i.message.find("must be above 0s"), std::string::npos) << i.field;
  }
  EXPECT_EQ(fields, (std::set<std::string>{
                        "spec.detection.horizon", "spec.detection.minGrowth",
                        "spec.budgets.cooldown", "spec.playbook[0].params.timeout",
                        "spec.playbook[1].when.exhaustionWithin", "spec.playbook[1].when.within"}))
      << p.summary();

  auto named = policy("  selector: {matchLabels: {a: b}}\n");
  named["metadata"]["name"] = std::string(64, 'p');
  EXPECT_EQ(parseLeakPolicy(named).summary(),
            "metadata.name: must be at most 63 characters (it labels the policy's incidents), "
            "got 64");
  named["metadata"]["name"] = std::string(63, 'p');
  EXPECT_TRUE(parseLeakPolicy(named).usable());
}

TEST(LeakPolicy, RecommendationsDefaultsSettingsAndMistakes) {
  const auto d = parseLeakPolicy(policy("  selector: {matchLabels: {app: x}}\n"));
  ASSERT_TRUE(d.usable()) << d.summary();
  EXPECT_TRUE(d.spec.recommendations.enabled);
  EXPECT_EQ(d.spec.recommendations.requestQuantile, 90);
  EXPECT_EQ(d.spec.recommendations.headroomPercent, 15);
  EXPECT_EQ(d.spec.recommendations.minHistorySeconds, 3600);

  const auto s = parseLeakPolicy(policy(R"(
  selector: {matchLabels: {app: x}}
  recommendations: {enabled: false, requestQuantile: 95, headroomPercent: 30, minHistory: 4m}
)"));
  ASSERT_TRUE(s.usable()) << s.summary();
  EXPECT_FALSE(s.spec.recommendations.enabled);
  EXPECT_EQ(s.spec.recommendations.requestQuantile, 95);
  EXPECT_EQ(s.spec.recommendations.headroomPercent, 30);
  EXPECT_EQ(s.spec.recommendations.minHistorySeconds, 240);

  const auto bad = parseLeakPolicy(policy(R"(
  selector: {matchLabels: {app: x}}
  recommendations: {enabled: "yes", requestQuantile: 100, headroomPercent: -1, minHistory: soon}
)"));
  EXPECT_FALSE(bad.usable());
  const std::string why = bad.summary();
  for (const char* field :
       {"spec.recommendations.enabled: must be true or false",
        "spec.recommendations.requestQuantile", "spec.recommendations.headroomPercent",
        "spec.recommendations.minHistory"})
    EXPECT_NE(why.find(field), std::string::npos) << field << " in " << why;
}

TEST(LeakPolicy, PercentBudget) {
  const auto p = parseLeakPolicy(
      policy("  selector: {matchLabels: {a: b}}\n  budgets: {maxUnavailable: 25%}\n"));
  ASSERT_TRUE(p.usable()) << p.summary();
  EXPECT_EQ(*p.spec.budgets.maxUnavailablePercent, 25);
  EXPECT_FALSE(parseLeakPolicy(policy("  selector: {matchLabels: {a: b}}\n"
                                      "  budgets: {maxUnavailable: 250%}\n"))
                   .usable());
}

// Every example shipped in crds/examples parses without an issue.
TEST(LeakPolicy, ShippedExamplesAreUsable) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(LG_SOURCE_DIR) / "crds" / "examples";
  int n = 0;
  for (const auto& e : fs::directory_iterator(dir)) {
    std::ifstream in(e.path());
    std::stringstream ss;
    ss << in.rdbuf();
    auto docs = yamlToJson(ss.str());
    ASSERT_TRUE(docs.ok()) << e.path() << ": " << docs.error().message;
    for (const auto& d : *docs) {
      const auto p = parseLeakPolicy(d);
      EXPECT_TRUE(p.usable()) << e.path() << ": " << p.summary();
      ++n;
    }
  }
  EXPECT_GE(n, 5);
}

}  // namespace
}  // namespace lg::policy
