// The LeakPolicy reconciler against the in-memory API: status, incidents, idempotency.

#include "controllers/reconcile/policy_reconciler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "controllers/actions/default_actions.h"
#include "controllers/policy/api_resources.h"
#include "controllers/reconcile/node_taint_reconciler.h"
#include "operator/kube/rfc3339.h"
#include "tests/fakes/fake_api_client.h"
#include "tests/fakes/fake_clock.h"
#include "tests/unit/actions/action_test_support.h"
#include "tests/unit/reconcile/crd_schema.h"

namespace lg::reconcile {
namespace {

const kube::ResourceRef kPolicies{
    .group = "leakguard.io", .version = "v1alpha1", .resource = "leakpolicies"};
const kube::ResourceRef kIncidents{
    .group = "leakguard.io", .version = "v1alpha1", .resource = "leakincidents"};
const kube::ResourceRef kPods{.group = "", .version = "v1", .resource = "pods"};

nlohmann::json podJson(const std::string& name, const std::string& uid, const std::string& app,
                       const std::string& ns = "shop", bool ready = false) {
  return nlohmann::json::parse(R"({"metadata": {"name": ")" + name + R"(", "namespace": ")" + ns +
                               R"(", "uid": ")" + uid + R"(", "labels": {"app": ")" + app +
                               R"("}, "ownerReferences": [{"kind": "ReplicaSet",
                               "name": "checkout-7d9f", "uid": "rs-1", "controller": true}]},
    "spec": {"nodeName": "n1", "containers": [{"name": "app",
             "resources": {"limits": {"memory": "1Gi"}}}]},
    "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": ")" +
                               std::string(ready ? "True" : "False") + R"("}],
               "containerStatuses": [{"name": "app",
               "containerID": "containerd://c1", "restartCount": 0}]}})");
}

class PolicyReconcilerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pods_.addIndex("namespace", runtime::podNamespaceIndex);
    policies_.addIndex("namespace", [](const PolicyObject& p) { return std::vector{p.ns}; });
    incidents_.addIndex("policy",
                        [](const IncidentObject& i) { return std::vector{i.ns + "/" + i.policy}; });
    addPod(podJson("checkout-1", "uid-1", "checkout"));
    addPod(podJson("checkout-2", "uid-2", "checkout"));
    addPod(podJson("cart-1", "uid-3", "cart"));
    addPod(podJson("checkout-x", "uid-4", "checkout", "other-ns"));
    rec_ = std::make_unique<PolicyReconciler>(deps(&api_));
  }

  // The caches and the hub of the fixture, with `api`; tests set the rest.
  PolicyReconcilerDeps deps(kube::ApiClient* api) {
    return {.api = api,
            .clock = &clock_,
            .hub = &hub_,
            .policies = &policies_,
            .pods = &pods_,
            .replicaSets = &replicaSets_,
            .incidents = &incidents_};
  }

  void addPod(const nlohmann::json& j) {
    auto p = runtime::projectPod(j);
    // A new resourceVersion each time: the store keeps an object whose version did not move.
    pods_.upsert(p->key(), std::make_shared<const runtime::PodProjection>(*p),
                 std::to_string(++podVersion_));
  }
  void applyPolicy(const std::string& specJson) {
    auto stored = api_.put(kPolicies, nlohmann::json::parse(
                                          R"({"apiVersion": "leakguard.io/v1alpha1",
        "kind": "LeakPolicy", "metadata": {"name": "checkout", "namespace": "shop",
        "generation": 1}, "spec": )" + specJson +
                                          "}"));
    syncPolicy();
  }
  // What the informers would do: copy the API's objects into the caches.
  void syncPolicy() {
    auto obj = api_.object(kPolicies, "shop", "checkout");
    auto p = projectPolicy(*obj, actions::testing::defaultActions());
    policies_.upsert(p->key(), std::make_shared<const PolicyObject>(*p),
                     (*obj)["metadata"]["resourceVersion"]);
  }
  void syncIncidents() {
    auto page = api_.list(kIncidents, {});
    for (const auto& o : page->items) {
      auto i = projectIncident(o);
      incidents_.upsert(i->key(), std::make_shared<const IncidentObject>(*i),
                        o["metadata"]["resourceVersion"]);
    }
  }
  nlohmann::json policyStatus() { return (*api_.object(kPolicies, "shop", "checkout"))["status"]; }

  // A leak on checkout-1: flat for an hour, then +200 MB/h towards 1 GiB.
  void leak() {
    const double start = toSeconds(clock_.now()) - 8 * 3600;
    for (int i = 0; i < 8 * 240; ++i) {
      const double v = 2e8 + (i > 240 ? (i - 240) * 15.0 / 3600 * 2e8 : 0) + 1e6 * std::sin(i);
      hub_.ingest({.podUid = "uid-1",
                   .ns = "shop",
                   .pod = "checkout-1",
                   .container = "app",
                   .containerId = "containerd://c1",
                   .time = start + i * 15.0,
                   .resource = detect::Resource::kMemory,
                   .value = std::min(v, 1.07e9),
                   .limit = 1073741824.0});
    }
  }

  // A reconciler that carries playbooks out, through the eviction-aware test API.
  void withExecutor() {
    actions::registerDefaultActions(registry_, fetcher_);
    executor_ = std::make_unique<actions::PlaybookExecutor>(actions::ExecutorOptions{
        .api = &cluster_, .registry = &registry_, .events = nullptr, .count = nullptr});
    PolicyReconcilerDeps d = deps(&cluster_);
    d.executor = executor_.get();
    d.actions = &registry_;
    rec_ = std::make_unique<PolicyReconciler>(std::move(d));
    for (const char* name : {"checkout-1", "checkout-2"})
      api_.put(kPods,
               podJson(name, name == std::string("checkout-1") ? "uid-1" : "uid-2", "checkout"));
  }
  void readyPods(bool ready) {
    addPod(podJson("checkout-1", "uid-1", "checkout", "shop", ready));
    addPod(podJson("checkout-2", "uid-2", "checkout", "shop", ready));
    addPod(podJson("cart-1", "uid-3", "cart", "shop", ready));  // same ReplicaSet owner
  }
  nlohmann::json onlyIncident() {
    auto page = api_.list(kIncidents, {});
    EXPECT_EQ(page->items.size(), 1u);
    return page->items.at(0);
  }

  int podVersion_ = 0;
  testing::FakeApiClient api_;
  actions::testing::SubresourceApi cluster_{api_};
  struct NoFetch final : actions::HttpFetcher {
    Result<actions::FetchResponse> get(const actions::FetchRequest&) override {
      return makeError("no network in unit tests");
    }
  } fetcher_;
  actions::ActionRegistry registry_;
  std::unique_ptr<actions::PlaybookExecutor> executor_;
  testing::FakeClock clock_;
  UsageHub hub_{{.findingTtlSeconds = 1e9}};
  runtime::Store<PolicyObject> policies_;
  runtime::Store<runtime::PodProjection> pods_;
  runtime::Store<ReplicaSetObject> replicaSets_;
  runtime::Store<IncidentObject> incidents_;
  std::unique_ptr<PolicyReconciler> rec_;
};

TEST_F(PolicyReconcilerTest, ReadyWithTheMatchedPodCount) {
  applyPolicy(R"({"selector": {"matchLabels": {"app": "checkout"}}, "mode": "Observe"})");
  auto r = rec_->reconcile("shop/checkout");
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.requeueAfter.has_value());
  const auto st = policyStatus();
  EXPECT_EQ(st["matchedPods"], 2);  // not cart-1, not the other namespace's checkout-x
  EXPECT_EQ(st["leakingPods"], 0);
  EXPECT_EQ(st["observedGeneration"], 1);
  EXPECT_EQ(st["conditions"][0]["type"], "Ready");
  EXPECT_EQ(st["conditions"][0]["status"], "True");
  EXPECT_EQ(st["conditions"][0]["message"], "watching 2 pods (memory) in Observe mode");
}

TEST_F(PolicyReconcilerTest, UnchangedStatusIsNotWrittenAgain) {
  applyPolicy(R"({"selector": {"matchLabels": {"app": "checkout"}}})");
  rec_->reconcile("shop/checkout");
  syncPolicy();
  const auto patches = api_.callCount("patch");
  rec_->reconcile("shop/checkout");
  EXPECT_EQ(api_.callCount("patch"), patches);
}

TEST_F(PolicyReconcilerTest, InvalidSpecIsReportedNotActedOn) {
  applyPolicy(R"({"selector": {"matchLabels": {"app": "checkout"}},
                  "playbook": [{"action": "restart", "when": {"exhaustionWithin": "30"}}]})");
  leak();
  rec_->reconcile("shop/checkout");
  const auto st = policyStatus();
  EXPECT_EQ(st["conditions"][0]["status"], "False");
  EXPECT_EQ(st["conditions"][0]["reason"], "InvalidSpec");
  EXPECT_NE(st["conditions"][0]["message"].get<std::string>().find(
                "spec.playbook[0].when.exhaustionWithin: must be a duration such as 30m"),
            std::string::npos);
  EXPECT_EQ(api_.count(kIncidents), 0u);
}

TEST_F(PolicyReconcilerTest, AFindingOpensOneIncidentAndReconcilingTwiceOpensNoOther) {
  applyPolicy(R"({"selector": {"matchLabels": {"app": "checkout"}}, "mode": "Enforce"})");
  leak();
  rec_->reconcile("shop/checkout");
  ASSERT_EQ(api_.count(kIncidents), 1u);
  auto page = api_.list(kIncidents, {});
  const auto& inc = page->items[0];
  EXPECT_EQ(inc["spec"]["pod"]["name"], "checkout-1");
  EXPECT_EQ(inc["status"]["state"], "Open");
  EXPECT_EQ(inc["status"]["evidence"]["signal"], "working set");
  EXPECT_EQ(inc["metadata"]["labels"][policy::kLabelPodUid], "uid-1");
  EXPECT_EQ(policyStatus()["leakingPods"], 1);
  // The usage `explain` draws: a few dozen buckets before the finding, and the fitted trend.
  const auto& usage = inc["status"]["usage"];
  EXPECT_EQ(usage["unit"], "bytes");
  EXPECT_EQ(usage["limit"], 1073741824.0);
  EXPECT_GE(usage["points"].size(), 24u);
  EXPECT_LE(usage["points"].size(), 48u);
  EXPECT_GT(usage["stepSeconds"].get<int>(), 0);
  for (const auto& p : usage["points"])
    EXPECT_LE(p["min"].get<double>(), p["max"].get<double>());
  EXPECT_GT(usage["points"].back()["max"].get<double>(),
            usage["points"].front()["max"].get<double>() + 1e8);  // it grew
  EXPECT_EQ(usage["fit"]["time"], inc["status"]["confirmed"]);
  EXPECT_EQ(usage["fit"]["ratePerSecond"], inc["status"]["evidence"]["ratePerSecond"]);
  EXPECT_GT(usage["fit"]["ratePerSecond"].get<double>(), 0);
  EXPECT_LT(usage["fit"]["ratePerSecondLow"].get<double>(),
            usage["fit"]["ratePerSecondHigh"].get<double>());

  syncIncidents();
  rec_->reconcile("shop/checkout");
  rec_->reconcile("shop/checkout");
  EXPECT_EQ(api_.count(kIncidents), 1u);
  EXPECT_EQ(api_.callCount("create"), 1u);
}

// Issue 11, finding 3: two policies covering one pod would name their incidents alike; a 409
// on create is not "ours" unless the incident really is this policy's.
TEST_F(PolicyReconcilerTest, TwoPoliciesOnOnePodEachKeepTheirOwnIncident) {
  applyPolicy(R"({"selector": {"matchLabels": {"app": "checkout"}}, "mode": "Observe"})");
  leak();
  rec_->reconcile("shop/checkout");
  ASSERT_EQ(api_.count(kIncidents), 1u);
  const auto first = onlyIncident();
  const std::string name = first["metadata"]["name"];
  // The cache has not seen it yet: the same policy meets its own incident (409) and keeps it.
  rec_->reconcile("shop/checkout");
  EXPECT_EQ(api_.count(kIncidents), 1u);

  auto guard = api_.put(kPolicies, nlohmann::json::parse(R"({"apiVersion": "leakguard.io/v1alpha1",
      "kind": "LeakPolicy", "metadata": {"name": "guard", "namespace": "shop", "uid": "uid-guard",
      "generation": 1}, "spec": {"selector": {"matchLabels": {"app": "checkout"}},
      "mode": "Observe"}})"));
  auto gp = projectPolicy(guard, actions::testing::defaultActions());
  policies_.upsert(gp->key(), std::make_shared<const PolicyObject>(*gp),
                   guard["metadata"]["resourceVersion"]);
  rec_->reconcile("shop/guard");
  ASSERT_EQ(api_.count(kIncidents), 2u);
  const auto mine = *api_.object(kIncidents, "shop", name);
  EXPECT_EQ(mine["spec"]["policy"], "checkout");
  EXPECT_EQ(mine["status"], first["status"]) << "the other policy wrote into this incident";
  const auto theirs = api_.object(kIncidents, "shop", name + "-2");
  ASSERT_TRUE(theirs);
  EXPECT_EQ((*theirs)["spec"]["policy"], "guard");
  EXPECT_EQ((*theirs)["status"]["state"], "Open");
  EXPECT_EQ((*theirs)["metadata"]["ownerReferences"][0]["name"], "guard");
}

// faults_two_e2e: two controllers on one policy. One created the incident and was about to
// write its status; the other's cache already held it, with no state, and that controller opened
// a second incident for the same pod beside it (and both evicted the pod).
TEST_F(PolicyReconcilerTest, AnIncidentStillBeingOpenedIsNotOpenedASecondTime) {
  applyPolicy(R"({"selector": {"matchLabels": {"app": "checkout"}}, "mode": "Observe"})");
  leak();
  rec_->reconcile("shop/checkout");
  auto created = onlyIncident();
  const std::string name = created["metadata"]["name"];
  created.erase("status");  // as another controller's create, its status not written yet
  api_.put(kIncidents, created);
  syncIncidents();
  const auto creates = api_.callCount("create");
  rec_->reconcile("shop/checkout");
  EXPECT_EQ(api_.callCount("create"), creates);
  EXPECT_EQ(api_.count(kIncidents), 1u);
  EXPECT_FALSE(onlyIncident().contains("status")) << "its creator's status to write";
  // A minute on, still no status: its creator died in between, and it is opened here.
  clock_.advance(std::chrono::seconds(61));
  rec_->reconcile("shop/checkout");
  EXPECT_EQ(api_.count(kIncidents), 1u);
  const auto opened = onlyIncident();
  EXPECT_EQ(opened["metadata"]["name"], name);
  EXPECT_EQ(opened["status"]["state"], "Open");
  EXPECT_EQ(opened["status"]["evidence"]["signal"], "working set");
}

TEST_F(PolicyReconcilerTest, LeakConfirmedIsSaidOnThePodItsOwnerAndThePolicy) {
  kube::EventRecorder events(api_, {.reportingInstance = "test"});
  PolicyReconcilerDeps d = deps(&api_);
  d.events = &events;
  rec_ = std::make_unique<PolicyReconciler>(std::move(d));
  applyPolicy(R"({"selector": {"matchLabels": {"app": "checkout"}}})");
  leak();
  ASSERT_TRUE(rec_->reconcile("shop/checkout").ok());
  ASSERT_TRUE(events.flush());
  const kube::ResourceRef kEvents{.group = "events.k8s.io", .version = "v1", .resource = "events"};
  std::set<std::string> regarding;
  const auto page = api_.list(kEvents, {});
  for (const auto& e : page->items) {
    EXPECT_EQ(e["reason"], "LeakConfirmed");
    regarding.insert(e["regarding"]["kind"].get<std::string>() + "/" +
                     e["regarding"]["name"].get<std::string>());
    if (e["regarding"]["kind"] == "Pod") continue;
    EXPECT_EQ(e["note"].get<std::string>().rfind("pod checkout-1: memory", 0), 0u) << e["note"];
  }
  EXPECT_EQ(regarding, (std::set<std::string>{"Pod/checkout-1", "ReplicaSet/checkout-7d9f",
                                              "LeakPolicy/checkout"}));
}

TEST_F(PolicyReconcilerTest, IncidentOfAVanishedPodIsClosed) {
  applyPolicy(R"({"selector": {"matchLabels": {"app": "checkout"}}})");
  leak();
  rec_->reconcile("shop/checkout");
  syncIncidents();
  pods_.erase("shop/checkout-1");
  hub_.forgetPod("uid-1");
  rec_->reconcile("shop/checkout");
  auto page = api_.list(kIncidents, {});
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0]["status"]["state"], "Abandoned");  // Observe: nothing was done
  EXPECT_EQ(page->items[0]["status"]["after"], "pod checkout-1 is gone");
  EXPECT_EQ(policyStatus()["matchedPods"], 1);
}

TEST_F(PolicyReconcilerTest, IncidentWhoseRestartStartedIsResolvedNotAbandonedWhenThePodGoes) {
  applyPolicy(R"({"selector": {"matchLabels": {"app": "checkout"}}})");
  leak();
  rec_->reconcile("shop/checkout");
  auto page = api_.list(kIncidents, {});
  ASSERT_EQ(page->items.size(), 1u);
  const std::string name = page->items[0]["metadata"]["name"];
  // The cache has the journal's Started entry but not yet the outcome: the evicted pod left
  // the pod cache first.
  kube::ResourceRef ref = kIncidents;
  ref.ns = "shop";
  ref.name = name;
  ref.subresource = "status";
  ASSERT_TRUE(api_.patch(ref, kube::PatchType::kMerge,
                         {{"status",
                           {{"state", "Mitigating"},
                            {"actions", {{{"action", "restart"}, {"outcome", "Started"}}}}}}})
                  .ok());
  syncIncidents();
  pods_.erase("shop/checkout-1");
  hub_.forgetPod("uid-1");
  rec_->reconcile("shop/checkout");
  const auto inc = api_.object(kIncidents, "shop", name);
  ASSERT_TRUE(inc);
  EXPECT_EQ((*inc)["status"]["state"], "Resolved");
  EXPECT_EQ((*inc)["status"]["after"], "pod checkout-1 is gone");
}

TEST_F(PolicyReconcilerTest, ApiErrorsAreRetried) {
  applyPolicy(R"({"selector": {"matchLabels": {"app": "checkout"}}})");
  api_.fail("patch", Error{"etcdserver: request timed out", 500});
  auto r = rec_->reconcile("shop/checkout");
  EXPECT_EQ(r.kind, runtime::ReconcileResult::Kind::kRetryableError);
  EXPECT_TRUE(rec_->reconcile("shop/checkout").ok());
}

TEST_F(PolicyReconcilerTest, EnforceModeRestartsTheLeakingPodAndJournalsIt) {
  withExecutor();
  readyPods(true);
  applyPolicy(R"({"selector": {"matchLabels": {"app": "checkout"}}, "mode": "Enforce",
                  "playbook": [{"name": "restart", "action": "restart"}]})");
  leak();
  ASSERT_TRUE(rec_->reconcile("shop/checkout").ok());
  EXPECT_EQ(cluster_.evicted, std::vector<std::string>{"checkout-1"});
  const auto inc = onlyIncident();
  ASSERT_EQ(inc["status"]["actions"].size(), 2u) << inc["status"].dump();
  EXPECT_EQ(inc["status"]["actions"][0]["outcome"], "Started");
  EXPECT_EQ(inc["status"]["actions"][1]["outcome"], "Succeeded");
  EXPECT_EQ(inc["status"]["actions"][1]["budget"], "1/4 this hour");
  EXPECT_EQ(inc["status"]["state"], "Mitigating");
  EXPECT_EQ(inc["status"]["lastAction"], "restart");

  // Again, on caches that saw all of it: nothing more; the policy shows what was done.
  syncIncidents();
  syncPolicy();
  ASSERT_TRUE(rec_->reconcile("shop/checkout").ok());
  EXPECT_EQ(cluster_.evicted.size(), 1u);
  EXPECT_EQ(onlyIncident()["status"]["actions"].size(), 2u);
  EXPECT_EQ(policyStatus()["lastAction"]["summary"], "restart checkout-1");
  EXPECT_EQ(policyStatus()["lastAction"]["outcome"], "Succeeded");
}

// The budget panel's gauges: the escalation started counts for an hour against
// maxActionsPerHour.
TEST_F(PolicyReconcilerTest, GaugesCountTheLastHoursEscalationsAgainstTheBudget) {
  runtime::MetricsRegistry registry;
  PolicyGauges gauges(registry);
  withExecutor();
  PolicyReconcilerDeps d = deps(&cluster_);
  d.executor = executor_.get();
  d.actions = &registry_;
  d.gauges = &gauges;
  rec_ = std::make_unique<PolicyReconciler>(std::move(d));
  readyPods(true);
  applyPolicy(R"({"selector": {"matchLabels": {"app": "checkout"}}, "mode": "Enforce",
                  "budgets": {"maxActionsPerHour": 3},
                  "playbook": [{"name": "restart", "action": "restart"}]})");
  leak();
  ASSERT_TRUE(rec_->reconcile("shop/checkout").ok());
  ASSERT_EQ(cluster_.evicted.size(), 1u);
  auto has = [&](const std::string& line) {
    return registry.render().find(line + "\n") != std::string::npos;
  };
  const std::string used =
      R"(leakguard_policy_escalations_last_hour{namespace="shop",policy="checkout"} )";
  EXPECT_TRUE(has(used + "0")) << registry.render();  // counted from the cached journals
  EXPECT_TRUE(has(R"(leakguard_policy_escalation_budget{namespace="shop",policy="checkout"} 3)"))
      << registry.render();
  syncIncidents();
  ASSERT_TRUE(rec_->reconcile("shop/checkout").ok());
  EXPECT_TRUE(has(used + "1")) << registry.render();
  clock_.advance(std::chrono::seconds(3601));
  ASSERT_TRUE(rec_->reconcile("shop/checkout").ok());
  EXPECT_TRUE(has(used + "0")) << registry.render();
}

// A closed incident whose restart is Started with no outcome (the outcome's write was lost, and
// the pod went, closing it): the action verifies it once it is old enough, and the journal says
// what was found instead of keeping a bare Started (issue 11).
TEST_F(PolicyReconcilerTest, AClosedIncidentsStepInDoubtIsVerifiedNotLeftBare) {
  withExecutor();
  readyPods(true);
  applyPolicy(R"({"selector": {"matchLabels": {"app": "checkout"}}, "mode": "Enforce",
                  "playbook": [{"name": "restart", "action": "restart"}]})");
  leak();
  ASSERT_TRUE(rec_->reconcile("shop/checkout").ok());
  ASSERT_EQ(cluster_.evicted, std::vector<std::string>{"checkout-1"});
  const std::string name = onlyIncident()["metadata"]["name"];
  kube::ResourceRef ref = kIncidents;
  ref.ns = "shop";
  ref.name = name;
  ref.subresource = "status";
  auto bareStarted = [&](double agoSeconds) {
    const auto t =
        kube::formatRfc3339(clock_.now() - std::chrono::seconds(static_cast<int64_t>(agoSeconds)));
    ASSERT_TRUE(api_.patch(ref, kube::PatchType::kMerge,
                           {{"status",
                             {{"state", "Resolved"},
                              {"actions",
                               {{{"step", "restart"},
                                 {"action", "restart"},
                                 {"outcome", "Started"},
                                 {"time", t}}}}}}})
                    .ok());
    syncIncidents();
  };
  pods_.erase("shop/checkout-1");
  hub_.forgetPod("uid-1");

  bareStarted(30);  // may still be under way: left alone
  ASSERT_TRUE(rec_->reconcile("shop/checkout").ok());
  EXPECT_EQ(onlyIncident()["status"]["actions"].size(), 1u);

  bareStarted(200);  // the pod is gone: done
  ASSERT_TRUE(rec_->reconcile("shop/checkout").ok());
  auto st = onlyIncident()["status"];
  ASSERT_EQ(st["actions"].size(), 2u) << st.dump();
  EXPECT_EQ(st["actions"][1]["outcome"], "Succeeded");
  EXPECT_NE(st["actions"][1]["message"].get<std::string>().find(
                "found done after the controller was cut short"),
            std::string::npos);
  EXPECT_EQ(st["state"], "Resolved");

  // The pod still there: not done, journalled Failed, and not tried again (closed).
  api_.put(kPods, podJson("checkout-1", "uid-1", "checkout"));
  bareStarted(200);
  ASSERT_TRUE(rec_->reconcile("shop/checkout").ok());
  st = onlyIncident()["status"];
  ASSERT_EQ(st["actions"].size(), 2u) << st.dump();
  EXPECT_EQ(st["actions"][1]["outcome"], "Failed");
  EXPECT_NE(st["actions"][1]["message"].get<std::string>().find(
                "(the incident is closed: not tried again)"),
            std::string::npos);
  syncIncidents();
  ASSERT_TRUE(rec_->reconcile("shop/checkout").ok());
  EXPECT_EQ(cluster_.evicted.size(), 1u);
  EXPECT_EQ(onlyIncident()["status"]["actions"].size(), 2u);
}

TEST_F(PolicyReconcilerTest, PodsThatAreNotReadySpendMaxUnavailable) {
  withExecutor();
  readyPods(false);
  applyPolicy(R"({"selector": {"matchLabels": {"app": "checkout"}}, "mode": "Enforce",
                  "playbook": [{"name": "restart", "action": "restart"}],
                  "budgets": {"maxUnavailable": 1}})");
  leak();
  ASSERT_TRUE(rec_->reconcile("shop/checkout").ok());
  EXPECT_TRUE(cluster_.evicted.empty());
  const auto inc = onlyIncident();
  ASSERT_EQ(inc["status"]["actions"].size(), 1u);
  EXPECT_EQ(inc["status"]["actions"][0]["outcome"], "Skipped");
  EXPECT_EQ(inc["status"]["actions"][0]["message"],
            "maxUnavailable 1: 3 of 3 pods are unavailable");
  // Once they are Ready, the restart goes ahead.
  readyPods(true);
  syncIncidents();
  ASSERT_TRUE(rec_->reconcile("shop/checkout").ok());
  EXPECT_EQ(cluster_.evicted, std::vector<std::string>{"checkout-1"});
}

TEST_F(PolicyReconcilerTest, RescheduleTaintsThePressuredNodeUntilThePressureEnds) {
  withExecutor();
  readyPods(true);
  const kube::ResourceRef kNodes{.group = "", .version = "v1", .resource = "nodes"};
  auto node = nlohmann::json::parse(R"({"metadata": {"name": "n1"}, "spec": {},
      "status": {"conditions": [{"type": "MemoryPressure", "status": "True"}]}})");
  api_.put(kNodes, node);
  applyPolicy(R"({"selector": {"matchLabels": {"app": "checkout"}}, "mode": "Enforce",
                  "playbook": [{"name": "move", "action": "reschedule",
                                "when": {"nodeMemoryPressure": true}}]})");
  leak();
  ASSERT_TRUE(rec_->reconcile("shop/checkout").ok());
  EXPECT_EQ(cluster_.evicted, std::vector<std::string>{"checkout-1"});
  auto taints = (*api_.object(kNodes, "", "n1"))["spec"]["taints"];
  ASSERT_EQ(taints.size(), 1u);
  EXPECT_EQ(taints[0]["key"], "leakguard.io/memory-pressure");
  EXPECT_EQ(
      (*api_.object(kNodes, "", "n1"))["metadata"]["labels"]["leakguard.io/memory-pressure-taint"],
      "true");
  EXPECT_NE(onlyIncident()["status"]["actions"][0]["message"].get<std::string>().find(
                "node under memory pressure"),
            std::string::npos);

  // The node-side sweep: still under pressure, the taint stays; pressure over, it goes.
  NodeTaintReconciler sweep({.api = &cluster_, .clock = &clock_, .incidents = &incidents_});
  syncIncidents();
  ASSERT_TRUE(sweep.reconcile(NodeTaintReconciler::kKey).ok());
  EXPECT_EQ((*api_.object(kNodes, "", "n1"))["spec"]["taints"].size(), 1u);
  node = *api_.object(kNodes, "", "n1");
  node["status"]["conditions"][0]["status"] = "False";
  api_.put(kNodes, node);
  ASSERT_TRUE(sweep.reconcile(NodeTaintReconciler::kKey).ok());
  EXPECT_EQ((*api_.object(kNodes, "", "n1"))["spec"]["taints"].size(), 0u);
  EXPECT_FALSE((*api_.object(kNodes, "", "n1"))["metadata"]["labels"].contains(
      "leakguard.io/memory-pressure-taint"));
  EXPECT_EQ(cluster_.evicted.size(), 1u);
}

TEST_F(PolicyReconcilerTest, ObserveModeRecordsAndChangesNothing) {
  withExecutor();
  readyPods(true);
  applyPolicy(R"({"selector": {"matchLabels": {"app": "checkout"}}, "mode": "Observe",
                  "playbook": [{"name": "restart", "action": "restart"}]})");
  leak();
  ASSERT_TRUE(rec_->reconcile("shop/checkout").ok());
  EXPECT_TRUE(cluster_.evicted.empty());
  const auto inc = onlyIncident();
  ASSERT_EQ(inc["status"]["actions"].size(), 1u);
  EXPECT_EQ(inc["status"]["actions"][0]["outcome"], "Observed");
  EXPECT_EQ(inc["status"]["actions"][0]["message"].get<std::string>().rfind(
                "Observe mode: would evict pod checkout-1", 0),
            0u);
  EXPECT_EQ(inc["status"]["lastAction"], "observe");
}

// The gauges the alerts read: a policy's pods with no usage from any source show as
// unobserved once the grace has passed; a leaking pod is sampled, so it is not; the policy's
// series go with it.
TEST_F(PolicyReconcilerTest, GaugesCountUnobservedPodsAndGoWithThePolicy) {
  runtime::MetricsRegistry registry;
  PolicyGauges gauges(registry);
  PolicyReconcilerDeps d = deps(&api_);
  d.gauges = &gauges;
  d.unobservedAfterSeconds = 300;
  rec_ = std::make_unique<PolicyReconciler>(std::move(d));
  applyPolicy(R"({"selector": {"matchLabels": {"app": "checkout"}}, "mode": "Observe"})");
  const std::string pods = R"(leakguard_policy_pods{namespace="shop",policy="checkout",state=)";
  auto has = [&](const std::string& line) {
    return registry.render().find(line + "\n") != std::string::npos;
  };
  ASSERT_TRUE(rec_->reconcile("shop/checkout").ok());
  EXPECT_TRUE(has(R"(leakguard_policy_ready{namespace="shop",policy="checkout"} 1)"))
      << registry.render();
  EXPECT_TRUE(has(pods + R"("matched"} 2)")) << registry.render();
  EXPECT_TRUE(has(pods + R"("unobserved"} 0)")) << registry.render();  // just seen

  clock_.advance(std::chrono::seconds(301));
  ASSERT_TRUE(rec_->reconcile("shop/checkout").ok());
  EXPECT_TRUE(has(pods + R"("unobserved"} 2)")) << registry.render();

  leak();  // checkout-1 sampled up to now, and leaking
  syncIncidents();
  ASSERT_TRUE(rec_->reconcile("shop/checkout").ok());
  EXPECT_TRUE(has(pods + R"("leaking"} 1)")) << registry.render();
  EXPECT_TRUE(has(pods + R"("unobserved"} 1)")) << registry.render();
  syncIncidents();  // the incident the leak opened, as the informer brings it
  ASSERT_TRUE(rec_->reconcile("shop/checkout").ok());
  EXPECT_TRUE(
      has(R"(leakguard_policy_incidents{namespace="shop",policy="checkout",state="Open"} 1)"))
      << registry.render();

  policies_.erase("shop/checkout");
  ASSERT_TRUE(rec_->reconcile("shop/checkout").ok());
  EXPECT_EQ(registry.render().find("policy=\"checkout\""), std::string::npos) << registry.render();
}

// Sizing in the policy's status and as a metric: steady pods get a size near their use; a
// leaking one gets none, but what a raise would buy.
TEST_F(PolicyReconcilerTest, RecommendationsInTheStatusAndTheGauges) {
  runtime::MetricsRegistry registry;
  PolicyGauges gauges(registry);
  PolicyReconcilerDeps d = deps(&api_);
  d.gauges = &gauges;
  rec_ = std::make_unique<PolicyReconciler>(std::move(d));
  applyPolicy(R"({"selector": {"matchLabels": {"app": "checkout"}},
                  "recommendations": {"minHistory": "30m"}})");
  const double now = toSeconds(clock_.now());
  for (const char* uid : {"uid-1", "uid-2"})
    for (double t = now - 7200; t <= now; t += 15)
      hub_.ingest({.podUid = uid,
                   .ns = "shop",
                   .pod = uid,
                   .container = "app",
                   .time = t,
                   .value = 3e8 + 1e6 * std::sin(t / 100),
                   .limit = 1073741824.0});
  ASSERT_TRUE(rec_->reconcile("shop/checkout").ok());
  const auto recs = policyStatus()["recommendations"];
  ASSERT_EQ(recs.size(), 1u) << recs;  // both pods: one workload, one container
  EXPECT_EQ(recs[0]["workload"], "ReplicaSet/checkout-7d9f");
  EXPECT_EQ(recs[0]["container"], "app");
  EXPECT_EQ(recs[0]["pods"], 2);
  EXPECT_EQ(recs[0]["shape"], "steady");
  EXPECT_EQ(recs[0]["current"]["limit"], "1Gi");
  EXPECT_EQ(recs[0]["limit"], "331Mi");  // 301 MB = 287.06Mi peak, +15% = 330.1Mi, up to a MiB
  EXPECT_NE(recs[0]["basis"].get<std::string>().find("over 2h (2 pods), +15% headroom"),
            std::string::npos)
      << recs[0]["basis"];
  const std::string series =
      R"(leakguard_recommended_memory_bytes{namespace="shop",policy="checkout",)"
      R"(workload="ReplicaSet/checkout-7d9f",container="app",bound="limit"} )";
  EXPECT_NE(registry.render().find(series + std::to_string(331 << 20) + "\n"), std::string::npos)
      << registry.render();

  policies_.erase("shop/checkout");
  ASSERT_TRUE(rec_->reconcile("shop/checkout").ok());
  EXPECT_EQ(registry.render().find("policy=\"checkout\""), std::string::npos);
}

TEST_F(PolicyReconcilerTest, ALeakGetsNoSizeButWhatARaiseBuys) {
  applyPolicy(R"({"selector": {"matchLabels": {"app": "checkout"}}})");
  leak();
  ASSERT_TRUE(rec_->reconcile("shop/checkout").ok());
  const auto recs = policyStatus()["recommendations"];
  ASSERT_EQ(recs.size(), 1u) << recs;
  EXPECT_EQ(recs[0]["shape"], "leaking");
  EXPECT_FALSE(recs[0].contains("limit"));
  EXPECT_EQ(recs[0]["leak"]["raise"], "+512Mi");  // at 200 MB/h, about 2h40m later
  EXPECT_NE(recs[0]["basis"].get<std::string>().find("a bigger limit only postpones the OOM"),
            std::string::npos);
}

TEST_F(PolicyReconcilerTest, RecommendationsTurnedOffLeaveNone) {
  applyPolicy(R"({"selector": {"matchLabels": {"app": "checkout"}},
                  "recommendations": {"enabled": false}})");
  ASSERT_TRUE(rec_->reconcile("shop/checkout").ok());
  EXPECT_FALSE(policyStatus().contains("recommendations")) << policyStatus();
}

// What the reconciler writes (a policy's status with its sizes, an incident with its evidence,
// usage and actions; the diagnostics entry is checked in capture_diagnostics_action_test) is what
// the CRDs declare: nothing the API server would prune
// or refuse (crd_schema.h).
TEST_F(PolicyReconcilerTest, WhatItWritesIsWhatTheCrdsDeclare) {
  const auto incidentSchema = testing::crdSchema("leakguard.io_leakincidents.yaml");
  const auto policySchema = testing::crdSchema("leakguard.io_leakpolicies.yaml");
  ASSERT_TRUE(incidentSchema.is_object());
  ASSERT_TRUE(policySchema.is_object());
  // The check itself finds a field the schema does not declare, a wrong type and a bad enum.
  EXPECT_EQ(testing::schemaViolations(
                {{"spec", {{"policy", "p"}, {"pod", {{"name", "x"}}}, {"resource", "disk"}}},
                 {"status", {{"stepSeconds", 1}, {"usage", {{"stepSeconds", "60"}}}}}},
                incidentSchema),
            (std::vector<std::string>{
                "spec.resource: \"disk\" is not one of [\"memory\",\"fds\",\"threads\"]",
                "status.stepSeconds: not declared (the API server prunes it)",
                "status.usage.stepSeconds: not an integer: \"60\""}));

  withExecutor();
  readyPods(true);
  applyPolicy(R"({"selector": {"matchLabels": {"app": "checkout"}}, "mode": "Enforce",
                  "recommendations": {"minHistory": "30m"},
                  "playbook": [{"name": "restart", "action": "restart"}]})");
  leak();
  ASSERT_TRUE(rec_->reconcile("shop/checkout").ok());
  syncIncidents();
  syncPolicy();
  ASSERT_TRUE(rec_->reconcile("shop/checkout").ok());
  const auto inc = onlyIncident();
  for (const char* block : {"evidence", "usage", "actions", "state", "lastAction"})
    ASSERT_TRUE(inc["status"].contains(block)) << block << ": " << inc["status"].dump();
  ASSERT_FALSE(inc["status"]["usage"]["points"].empty());
  EXPECT_EQ(testing::schemaViolations(inc, incidentSchema), std::vector<std::string>{})
      << inc.dump();
  const auto policy = *api_.object(kPolicies, "shop", "checkout");
  for (const char* block : {"conditions", "matchedPods", "lastAction", "recommendations"})
    ASSERT_TRUE(policy["status"].contains(block)) << block << ": " << policy["status"].dump();
  EXPECT_EQ(testing::schemaViolations(policy, policySchema), std::vector<std::string>{})
      << policy["status"].dump();
}

TEST_F(PolicyReconcilerTest, DeletedPolicyIsDone) {
  EXPECT_TRUE(rec_->reconcile("shop/absent").ok());
  EXPECT_EQ(api_.callCount("patch"), 0u);
}

}  // namespace
}  // namespace lg::reconcile
