// The registry finds every shipped action by the name a LeakPolicy step uses.

#include "controllers/actions/action_registry.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "controllers/actions/default_actions.h"
#include "controllers/actions/event_action.h"
#include "controllers/policy/leak_policy.h"
#include "operator/kube/permission.h"
#include "operator/util/yaml_json.h"

namespace lg::actions {
namespace {

class NoFetch final : public HttpFetcher {
 public:
  Result<FetchResponse> get(const FetchRequest&) override { return makeError("no network"); }
};

// The CRD's list of actions a step may name (crds/ is the schema's source).
std::set<std::string> crdActions() {
  std::ifstream in(std::string(LG_SOURCE_DIR) + "/crds/leakguard.io_leakpolicies.yaml");
  std::stringstream text;
  text << in.rdbuf();
  auto docs = yamlToJson(text.str());
  EXPECT_TRUE(static_cast<bool>(docs));
  std::set<std::string> out;
  if (!docs) return out;
  const auto& e = docs->at(0).at(nlohmann::json::json_pointer(
      "/spec/versions/0/schema/openAPIV3Schema/properties/spec/properties/playbook/items/"
      "properties/action/enum"));
  for (const auto& name : e)
    out.insert(name.get<std::string>());
  return out;
}

TEST(ActionRegistry, EveryActionOfTheCrdIsRegisteredUnderItsName) {
  NoFetch fetcher;
  ActionRegistry r;
  registerDefaultActions(r, fetcher);
  const auto names = crdActions();
  EXPECT_GE(names.size(), 8u);
  EXPECT_EQ(r.size(), names.size());
  std::string known;
  for (const auto& name : names) {
    const Action* a = r.find(name);
    ASSERT_NE(a, nullptr) << name;
    EXPECT_EQ(a->name(), name);
    EXPECT_TRUE(r.knows(name));
    known += (known.empty() ? "" : ", ") + name;
  }
  EXPECT_EQ(r.known(), known);
  EXPECT_EQ(r.find("reboot"), nullptr);
  EXPECT_FALSE(r.knows("reboot"));
}

TEST(ActionRegistry, TheShippedActionsTraits) {
  NoFetch fetcher;
  ActionRegistry r;
  registerDefaultActions(r, fetcher);
  for (const char* name : {"resizeLimits", "restart", "reschedule", "rollback"})
    EXPECT_TRUE(r.traits(name).escalation) << name;
  for (const char* name : {"captureDiagnostics", "enforceQuota", "event", "annotate"})
    EXPECT_FALSE(r.traits(name).escalation) << name;
  for (const char* name : {"restart", "reschedule"})
    EXPECT_TRUE(r.traits(name).takesPodAway) << name;
  for (const char* name : {"resizeLimits", "rollback", "captureDiagnostics"})
    EXPECT_FALSE(r.traits(name).takesPodAway) << name;
  EXPECT_TRUE(r.traits("captureDiagnostics").evidence);
  EXPECT_FALSE(r.traits("restart").evidence);
  EXPECT_FALSE(r.traits("event").shownAsLastAction);
  EXPECT_FALSE(r.traits("annotate").shownAsLastAction);
  EXPECT_TRUE(r.traits("restart").shownAsLastAction);
  // An action no longer registered (a journal entry written by an older LeakGuard) has none.
  EXPECT_FALSE(r.traits("reboot").escalation);
  EXPECT_FALSE(r.traits("reboot").shownAsLastAction);
}

TEST(ActionRegistry, ChecksTheParamsOfTheActionNamed) {
  NoFetch fetcher;
  ActionRegistry r;
  registerDefaultActions(r, fetcher);
  std::vector<policy::ValidationIssue> issues;
  const nlohmann::json params = {{"factor", 9}};
  r.checkParams("resizeLimits", policy::FieldReader(params, "p", issues));
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].field, "p.factor");
  issues.clear();
  r.checkParams("event", policy::FieldReader(params, "p", issues));  // not event's param
  EXPECT_TRUE(issues.empty());
}

TEST(ActionRegistry, ActionsNotEnabledAreRefusedByNameAndAskForNoRbac) {
  NoFetch fetcher;
  ActionRegistry r;
  registerDefaultActions(r, fetcher);
  const auto all = r.allNames();
  EXPECT_EQ(r.enableOnly({"restart", "event", "nothing"}), std::vector<std::string>{"nothing"});
  EXPECT_TRUE(r.knows("restart"));
  EXPECT_FALSE(r.knows("rollback"));
  EXPECT_EQ(r.known(), "event, restart");
  EXPECT_EQ(r.allNames(), all);  // disabled, still named
  EXPECT_EQ(r.notEnabled("restart"), "");
  EXPECT_EQ(r.notEnabled("bogus"), "");
  EXPECT_EQ(r.notEnabled("rollback"),
            "action \"rollback\" is not enabled in this LeakGuard (the controller's --actions, "
            "the Helm value actions.rollback); enabled: event, restart");
  // What the RBAC is derived from: restart's rules, nothing of rollback's.
  const auto rules = r.permissions();
  EXPECT_TRUE(kube::permits(rules, "create", "", "pods/eviction", "p"));
  EXPECT_FALSE(kube::permits(rules, "list", "apps", "controllerrevisions", ""));
  // A policy naming a disabled action says which value enables it.
  const nlohmann::json policy = {{"metadata", {{"name", "p"}, {"namespace", "shop"}, {"uid", "u"}}},
                                 {"spec",
                                  {{"selector", {{"matchLabels", {{"app", "x"}}}}},
                                   {"playbook", {{{"action", "rollback"}}}}}}};
  const auto parsed = policy::parseLeakPolicy(policy, r);
  ASSERT_FALSE(parsed.usable());
  EXPECT_NE(parsed.summary().find("spec.playbook[0].action: action \"rollback\" is not enabled"),
            std::string::npos)
      << parsed.summary();
}

TEST(ActionRegistry, EveryActionDeclaresItsRbac) {
  NoFetch fetcher;
  ActionRegistry r;
  registerDefaultActions(r, fetcher);
  for (const auto& name : r.allNames()) {
    const auto rules = r.find(name)->permissions();
    // event writes only through the controller's event recorder; every other action calls the
    // API server itself, and its unit tests check each call against these rules.
    EXPECT_EQ(rules.empty(), name == "event") << name;
    for (const auto& p : rules) {
      EXPECT_FALSE(p.verbs.empty()) << name;
      EXPECT_NE(p.resource, "secrets") << name;
    }
  }
}

TEST(Permission, CreateIsNeverLimitedByNameAndNamesLimitTheRest) {
  const std::vector<kube::Permission> rules = {{"", "limitranges", {"create"}, {}},
                                               {"", "limitranges", {"get", "update"}, {"mine"}}};
  EXPECT_TRUE(kube::permits(rules, "create", "", "limitranges", ""));
  EXPECT_TRUE(kube::permits(rules, "update", "", "limitranges", "mine"));
  EXPECT_FALSE(kube::permits(rules, "update", "", "limitranges", "theirs"));
  EXPECT_FALSE(kube::permits(rules, "list", "", "limitranges", ""));
  EXPECT_FALSE(kube::permits(rules, "get", "apps", "limitranges", "mine"));
  const auto merged = kube::mergePermissions(
      {{"", "pods", {"list", "get"}, {}}, {"", "pods", {"get", "patch"}, {}}, rules[1]});
  ASSERT_EQ(merged.size(), 2u);
  EXPECT_EQ(merged[1].resource, "pods");
  EXPECT_EQ(merged[1].verbs, (std::vector<std::string>{"get", "list", "patch"}));
}

TEST(ActionRegistry, ALaterRegistrationReplacesTheEarlier) {
  ActionRegistry r;
  r.add(std::make_unique<EventAction>());
  const Action* first = r.find("event");
  r.add(std::make_unique<EventAction>());
  EXPECT_EQ(r.size(), 1u);
  EXPECT_NE(r.find("event"), first);
  r.add(nullptr);
  EXPECT_EQ(r.size(), 1u);
}

}  // namespace
}  // namespace lg::actions
