#pragma once
// Test support for the actions: FakeApiClient with the two subresources the actions use that
// an in-memory store cannot model by itself — pods/eviction (dry runs, PodDisruptionBudgets
// answering 429, an evicted pod left terminating, and evicting a terminating pod answering
// Success again, as the API server does) and pods/resize (a container's limit changed in place, or
// a cluster without the subresource) — plus builders for the objects the tests put.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "controllers/actions/action.h"
#include "controllers/actions/action_registry.h"
#include "controllers/actions/default_actions.h"
#include "controllers/actions/http_fetcher.h"
#include "tests/fakes/fake_api_client.h"

namespace lg::actions::testing {

using nlohmann::json;

class SubresourceApi final : public kube::ApiClient {
 public:
  explicit SubresourceApi(lg::testing::FakeApiClient& fake) : fake_(fake) {}

  bool pdbBlocks = false;            // evictions answer 429
  int resizeError = 0;               // pods/resize answers this code (404: a cluster without it)
  std::vector<std::string> evicted;  // pods evicted for real
  int dryRunEvictions = 0;
  int evictionError = 0;                  // evictions answer this code (500: API trouble)
  int evictionErrorTimes = 0;             // ... this many times (0: every time)
  bool loseEvictionAnswer = false;        // the next real eviction happens, its answer is lost
  std::vector<std::string> resized;       // pods resized in place
  std::vector<std::string> evictionUids;  // the uid precondition of each eviction ("" : none)
  // The calls answered here rather than by the fake (which records the rest).
  std::vector<std::pair<std::string, kube::ResourceRef>> answered;

  Result<json> get(const kube::ResourceRef& ref) override { return fake_.get(ref); }
  Result<kube::ListPage> list(const kube::ResourceRef& ref, const kube::ListOptions& o) override {
    return fake_.list(ref, o);
  }
  Result<std::unique_ptr<kube::WatchStream>> watch(const kube::ResourceRef& ref,
                                                   const kube::WatchOptions& o) override {
    return fake_.watch(ref, o);
  }
  Result<json> create(const kube::ResourceRef& ref, const json& body,
                      const kube::WriteOptions& o = {}) override {
    if (ref.subresource != "eviction") return fake_.create(ref, body, o);
    answered.emplace_back("create", ref);
    const kube::ResourceRef pods{.group = "",
                                 .version = "v1",
                                 .resource = "pods",
                                 .ns = ref.ns,
                                 .name = "",
                                 .subresource = ""};
    const auto current = fake_.object(pods, ref.ns, ref.name);
    if (!current) return makeError("pods \"" + ref.name + "\" not found", 404);
    // As the API server: a uid precondition that names another pod is a conflict.
    const auto want = body.value("/deleteOptions/preconditions/uid"_json_pointer, std::string());
    const auto uid = current->value("/metadata/uid"_json_pointer, std::string());
    if (!want.empty() && want != uid)
      return makeError("Operation cannot be fulfilled on Pod \"" + ref.name +
                           "\": the UID in the precondition (" + want +
                           ") does not match the UID in record (" + uid +
                           "). The object might have been deleted and then recreated",
                       409);
    evictionUids.push_back(want);
    // As the API server: a pod already terminating is not checked against any budget, and
    // evicting it (again) succeeds (canIgnorePDB in the apiserver's eviction REST).
    const bool terminating = current->contains("/metadata/deletionTimestamp"_json_pointer);
    if (evictionError) {
      const int code = evictionError;
      if (evictionErrorTimes > 0 && --evictionErrorTimes == 0) evictionError = 0;
      return makeError("eviction failed", code);
    }
    if (pdbBlocks && !terminating)
      return makeError("Cannot evict pod as it would violate the pod's disruption budget.", 429);
    const bool dry = body.contains("deleteOptions") && body["deleteOptions"].contains("dryRun");
    if (dry) {
      ++dryRunEvictions;
      return json{{"kind", "Status"}, {"status", "Success"}};
    }
    // The pod is marked for deletion; the kubelet removes it after its grace period (a test
    // erases it to model that).
    json marked = *current;
    marked["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z";
    fake_.put(pods, marked);
    evicted.push_back(ref.name);
    if (loseEvictionAnswer) {
      loseEvictionAnswer = false;
      return makeError("connection reset by peer", 0);
    }
    return json{{"kind", "Status"}, {"status", "Success"}};
  }
  Result<json> replace(const kube::ResourceRef& ref, const json& body,
                       const kube::WriteOptions& o = {}) override {
    return fake_.replace(ref, body, o);
  }
  Result<json> patch(const kube::ResourceRef& ref, kube::PatchType type, const json& body,
                     const kube::WriteOptions& o = {}) override {
    if (ref.subresource != "resize") return fake_.patch(ref, type, body, o);
    answered.emplace_back("patch", ref);
    if (resizeError) return makeError("resize refused", resizeError);
    auto pod = fake_.get({.group = "",
                          .version = "v1",
                          .resource = "pods",
                          .ns = ref.ns,
                          .name = ref.name,
                          .subresource = ""});
    if (!pod) return pod.error();
    json p = *pod;
    resized.push_back(ref.name);
    for (const auto& want : body["spec"]["containers"])
      for (auto& c : p["spec"]["containers"])
        if (c["name"] == want["name"])
          c["resources"]["limits"]["memory"] = want["resources"]["limits"]["memory"];
    return fake_.put(
        {.group = "", .version = "v1", .resource = "pods", .ns = "", .name = "", .subresource = ""},
        p);
  }
  Status remove(const kube::ResourceRef& ref, const kube::DeleteOptions& o = {}) override {
    return fake_.remove(ref, o);
  }

 private:
  lg::testing::FakeApiClient& fake_;
};

// The calls an action made that its permissions() do not declare, as "verb path": from the
// fake's record and the subresource calls `sub` answered. Each action's test fixture checks it
// is empty, so a call added to an action without its RBAC rule fails here (the chart's rules are
// compared with the declarations in tests/packaging/test_rbac.py).
inline std::vector<std::string> undeclaredCalls(const lg::testing::FakeApiClient& fake,
                                                const Action& action,
                                                const SubresourceApi* sub = nullptr) {
  std::vector<std::pair<std::string, kube::ResourceRef>> calls;
  for (const auto& c : fake.calls())
    calls.emplace_back(c.verb, c.ref);
  if (sub) calls.insert(calls.end(), sub->answered.begin(), sub->answered.end());
  // A test that runs the action through the PlaybookExecutor also sees the executor's journal
  // (the controller's own rules, controllers/reconcile/controller_permissions.cpp).
  auto rules = action.permissions();
  rules.push_back({"leakguard.io", "leakincidents", {"get"}, {}});
  rules.push_back({"leakguard.io", "leakincidents/status", {"patch", "update"}, {}});
  std::vector<std::string> out;
  for (const auto& [verb, r] : calls) {
    const std::string resource =
        r.subresource.empty() ? r.resource : r.resource + "/" + r.subresource;
    const std::string rbacVerb = verb == "replace" ? "update" : verb;
    if (!kube::permits(rules, rbacVerb, r.group, resource, r.name))
      out.push_back(rbacVerb + " " + r.path());
  }
  return out;
}

inline kube::ResourceRef ref(const std::string& group, const std::string& resource) {
  return {.group = group,
          .version = group == "leakguard.io" ? "v1alpha1" : "v1",
          .resource = resource,
          .ns = "",
          .name = "",
          .subresource = ""};
}

inline json pod(const std::string& name, const std::string& memoryLimit = "64Mi",
                const std::string& node = "n1") {
  json p = {{"apiVersion", "v1"},
            {"kind", "Pod"},
            {"metadata", {{"name", name}, {"namespace", "shop"}, {"uid", "uid-" + name}}},
            {"spec",
             {{"nodeName", node},
              {"containers",
               json::array({{{"name", "app"}, {"image", "leaky:1"}}, {{"name", "sidecar"}}})}}},
            {"status", {{"phase", "Running"}, {"podIP", "10.1.2.3"}}}};
  if (!memoryLimit.empty())
    p["spec"]["containers"][0]["resources"] = {{"limits", {{"memory", memoryLimit}}}};
  return p;
}

inline ActionTarget target(const std::string& podName = "checkout-1") {
  ActionTarget t;
  t.ns = "shop";
  t.podName = podName;
  t.podUid = "uid-" + podName;
  t.node = "n1";
  t.container = "app";
  t.resource = "memory";
  t.workloadKind = "Deployment";
  t.workloadName = "checkout";
  t.workloadRevision = "hash3";
  t.incidentName = "checkout-1-20260101";
  t.incidentUid = "inc-uid";
  t.policyName = "checkout";
  t.policyUid = "pol-uid";
  t.summary = "memory +3.1Mi/min, limit reached in 41m";
  return t;
}

inline policy::PlaybookStep step(const std::string& action, const std::string& name = "s") {
  policy::PlaybookStep s;
  s.name = name;
  s.action = action;
  return s;
}

// The actions the controller registers, as the policy parser's catalog and the planner's
// traits (captureDiagnostics gets a fetcher that refuses every request).
inline const ActionRegistry& defaultActions() {
  struct Refuse final : HttpFetcher {
    Result<FetchResponse> get(const FetchRequest&) override {
      return makeError("no fetches in this test");
    }
  };
  static Refuse fetcher;
  static const ActionRegistry registry = [] {
    ActionRegistry r;
    registerDefaultActions(r, fetcher);
    return r;
  }();
  return registry;
}

}  // namespace lg::actions::testing
