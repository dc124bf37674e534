// The executor: journal before side effects, never twice, Observe and dry runs change nothing,
// budgets skip with Events, outcomes counted.

#include "controllers/actions/playbook_executor.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <future>
#include <mutex>

#include "controllers/actions/default_actions.h"
#include "controllers/actions/incident_journal.h"
#include "operator/util/yaml_json.h"
#include "tests/unit/actions/action_test_support.h"

namespace lg::actions {
namespace {

using namespace testing;

const kube::ResourceRef kIncidents = ref("leakguard.io", "leakincidents");
const kube::ResourceRef kEvents{.group = "events.k8s.io",
                                .version = "v1",
                                .resource = "events",
                                .ns = "",
                                .name = "",
                                .subresource = ""};
constexpr double kNow = 1767225600;

class OkFetcher final : public HttpFetcher {
 public:
  Result<FetchResponse> get(const FetchRequest&) override {
    ++calls;
    if (onGet) onGet();
    return FetchResponse{
        .status = 200, .contentType = "text/plain", .body = "heap", .truncated = false};
  }
  int calls = 0;
  std::function<void()> onGet;
};

// A debug port that accepts and stalls: get() blocks until the test opens it.
class StallingFetcher final : public HttpFetcher {
 public:
  Result<FetchResponse> get(const FetchRequest&) override {
    std::unique_lock l(mu);
    ++calls;
    cv.notify_all();
    cv.wait(l, [&] { return open; });
    return FetchResponse{
        .status = 200, .contentType = "text/plain", .body = "heap", .truncated = false};
  }
  void release() {
    std::lock_guard g(mu);
    open = true;
    cv.notify_all();
  }
  bool waitForCalls(int n) {
    std::unique_lock l(mu);
    return cv.wait_for(l, std::chrono::seconds(10), [&] { return calls >= n; });
  }
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  int calls = 0;
};

// An action that checks, when it runs, that its "Started" entry is already stored.
class ProbeAction final : public Action {
 public:
  explicit ProbeAction(lg::testing::FakeApiClient& fake) : fake_(fake) {}
  std::string_view name() const override { return "restart"; }
  ActionTraits traits() const override { return {.escalation = true, .takesPodAway = true}; }
  std::vector<kube::Permission> permissions() const override { return {}; }  // reads the fake
  ActionPlan prepare(const ActionContext&) const override { return ActionPlan::go("probe"); }
  ActionResult run(const ActionContext& ctx, const ActionPlan&) const override {
    auto inc = fake_.object(kIncidents, "shop", ctx.target->incidentName);
    const auto entries = IncidentJournal::parse((*inc)["status"]);
    startedBeforeRun = !entries.empty() && entries.back().outcome == Outcome::kStarted &&
                       entries.back().action == "restart";
    ++runs;
    return ActionResult::succeeded("PodRestarted", "probed");
  }
  lg::testing::FakeApiClient& fake_;
  mutable bool startedBeforeRun = false;
  mutable int runs = 0;
};

policy::LeakPolicySpec parse(const std::string& yaml) {
  auto docs = yamlToJson("spec:\n  selector: {matchLabels: {a: b}}\n" + yaml);
  auto p = policy::parseLeakPolicy(docs->at(0), defaultActions());
  EXPECT_TRUE(p.usable()) << p.summary();
  return p.spec;
}

const char* kLadder = R"(  mode: Enforce
  playbook:
  - {name: keep, action: captureDiagnostics, params: {port: 6060, path: /heap}}
  - {name: restart, action: restart, when: {exhaustionWithin: 30m}}
  budgets: {maxUnavailable: 1, maxActionsPerHour: 4, cooldown: 10m}
)";

class PlaybookExecutorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registerDefaultActions(registry_, fetcher_);
    fake_.put(ref("", "pods"), pod("checkout-1"));
    fake_.put(ref("", "pods"), pod("checkout-2"));
    addIncident("checkout-1-20260101");
    addIncident("checkout-2-20260101");
    spec_ = parse(kLadder);
  }
  void addIncident(const std::string& name, json status = {{"state", "Open"}}) {
    fake_.put(kIncidents,
              json{{"metadata", {{"name", name}, {"namespace", "shop"}, {"uid", "uid-" + name}}},
                   {"spec", {{"policy", "checkout"}}},
                   {"status", status}});
  }
  IncidentCase incident(const std::string& pod = "checkout-1", double exhaustion = 20 * 60) {
    IncidentCase c;
    c.spec = &spec_;
    c.policyKey = "shop/checkout";
    c.workloadKey = "Deployment/checkout";
    c.target = target(pod);
    c.target.incidentName = pod + "-20260101";
    c.plan = PlanInput{.spec = &spec_,
                       .now = kNow,
                       .exhaustionSeconds = exhaustion,
                       .confidence = 0.999,
                       .workloadPods = 2};
    return c;
  }
  PlaybookExecutor& executor() {
    if (!exec_)
      exec_ = std::make_unique<PlaybookExecutor>(ExecutorOptions{
          .api = &api_,
          .registry = &registry_,
          .events = &recorder_,
          .count = [this](const std::string& a, const std::string& o) { counts_[a + "/" + o]++; },
          .apiTimeout = std::chrono::seconds(5),
          .globalEscalationsPerMinute = global_,
          .leading = [this] { return leading_.load(); }});
    return *exec_;
  }
  json journal(const std::string& name = "checkout-1-20260101") {
    return (*fake_.object(kIncidents, "shop", name))["status"]["actions"];
  }
  std::vector<std::string> outcomes(const std::string& name = "checkout-1-20260101") {
    std::vector<std::string> out;
    for (const auto& e : journal(name))
      out.push_back(e["step"].get<std::string>() + ":" + e["outcome"].get<std::string>());
    return out;
  }
  std::vector<std::string> eventReasons() {
    std::vector<std::string> out;
    const auto page = fake_.list(kEvents, {});
    for (const auto& e : page->items)
      out.push_back(e["regarding"]["kind"].get<std::string>() + ":" +
                    e["reason"].get<std::string>());
    std::sort(out.begin(), out.end());
    return out;
  }

  lg::testing::FakeApiClient fake_;
  SubresourceApi api_{fake_};
  // Real time: Event names carry the time, and the fake API refuses a second Event of a name.
  kube::EventRecorder recorder_{fake_, {.reportingInstance = "test"}};
  OkFetcher fetcher_;
  ActionRegistry registry_;
  policy::LeakPolicySpec spec_;
  int global_ = 10;
  std::atomic<bool> leading_{true};
  std::map<std::string, int> counts_;
  std::unique_ptr<PlaybookExecutor> exec_;
};

TEST_F(PlaybookExecutorTest, EvidenceThenRestartEachJournalledStartedThenDone) {
  auto r = executor().execute(incident());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->escalations, 1);
  EXPECT_TRUE(r->tookPodAway);
  EXPECT_EQ(outcomes(), (std::vector<std::string>{"keep:Started", "keep:Succeeded",
                                                  "restart:Started", "restart:Succeeded"}));
  EXPECT_EQ(api_.evicted, std::vector<std::string>{"checkout-1"});
  EXPECT_EQ(fetcher_.calls, 1);
  const auto st = (*fake_.object(kIncidents, "shop", "checkout-1-20260101"))["status"];
  EXPECT_EQ(st["state"], "Mitigating");
  EXPECT_EQ(st["lastAction"], "restart");
  EXPECT_EQ(st["diagnostics"][0]["keptIn"], "configmap/checkout-1-20260101-diag-keep");
  EXPECT_EQ(journal()[2]["budget"], "1/4 this hour");
  EXPECT_NE(journal()[2]["message"].get<std::string>().find("evict pod checkout-1"),
            std::string::npos);
  EXPECT_EQ(counts_["restart/Started"], 1);
  EXPECT_EQ(counts_["restart/Succeeded"], 1);
  EXPECT_EQ(counts_["captureDiagnostics/Succeeded"], 1);
  ASSERT_TRUE(recorder_.flush());
  EXPECT_EQ(eventReasons(),
            (std::vector<std::string>{"Deployment:DiagnosticsCaptured", "Deployment:PodRestarted",
                                      "LeakPolicy:DiagnosticsCaptured", "LeakPolicy:PodRestarted",
                                      "Pod:DiagnosticsCaptured", "Pod:PodRestarted"}));
}

TEST_F(PlaybookExecutorTest, StartedIsStoredBeforeTheSideEffect) {
  auto probe = std::make_unique<ProbeAction>(fake_);
  auto* p = probe.get();
  registry_.add(std::move(probe));
  ASSERT_TRUE(executor().execute(incident()));
  EXPECT_EQ(p->runs, 1);
  EXPECT_TRUE(p->startedBeforeRun);
}

TEST_F(PlaybookExecutorTest, ReconcilingAgainRepeatsNothing) {
  ASSERT_TRUE(executor().execute(incident()));
  const auto before = outcomes();
  auto again = executor().execute(incident());
  ASSERT_TRUE(again);
  EXPECT_EQ(again->escalations, 0);
  EXPECT_EQ(outcomes(), before);
  EXPECT_EQ(api_.evicted.size(), 1u);
  EXPECT_EQ(fetcher_.calls, 1);
}

TEST_F(PlaybookExecutorTest, NothingLeftToDoOnTheCachedJournalCostsNoApiCall) {
  ASSERT_TRUE(executor().execute(incident()));
  auto c = incident();
  c.cachedJournal =
      IncidentJournal::parse((*fake_.object(kIncidents, "shop", "checkout-1-20260101"))["status"]);
  const auto calls = fake_.calls().size();
  ASSERT_TRUE(executor().execute(c));
  EXPECT_EQ(fake_.calls().size(), calls);
  // A cache that lags (nothing journalled yet) costs a fresh read, which finds it all done.
  c.cachedJournal = std::vector<JournalEntry>{};
  ASSERT_TRUE(executor().execute(c));
  // First run: the incident, the pod (the capture's address, then the eviction's check that it
  // is still running) and the Deployment (the disruption claim); now: the incident.
  EXPECT_EQ(fake_.callCount("get"), 4u + 1u);
  EXPECT_EQ(api_.evicted.size(), 1u);
}

TEST_F(PlaybookExecutorTest, ARestartedControllerNeverRepeatsAStartedAction) {
  // The previous leader died between "Started" and the outcome of both steps.
  addIncident("checkout-1-20260101",
              {{"state", "Mitigating"},
               {"actions", json::array({{{"step", "keep"},
                                         {"action", "captureDiagnostics"},
                                         {"outcome", "Started"},
                                         {"time", "2026-01-01T00:00:00Z"}},
                                        {{"step", "restart"},
                                         {"action", "restart"},
                                         {"outcome", "Started"},
                                         {"time", "2026-01-01T00:00:00Z"}}})}});
  auto r = executor().execute(incident());  // a fresh executor: nothing in memory
  ASSERT_TRUE(r);
  EXPECT_EQ(r->escalations, 0);
  EXPECT_TRUE(api_.evicted.empty());
  EXPECT_EQ(fetcher_.calls, 0);
  EXPECT_EQ(journal().size(), 2u);
}

// A controller killed at each point of a playbook (issue 11): before its side effect the step
// is found not done and tried again, after it found done; in neither case twice.
json startedOnly(const std::string& step, const std::string& action, const std::string& time) {
  return {{"state", "Mitigating"},
          {"actions",
           json::array(
               {{{"step", step}, {"action", action}, {"outcome", "Started"}, {"time", time}}})}};
}

// An Enforce playbook of one step, restart, with a one-minute cooldown.
policy::LeakPolicySpec restartOnly() {
  return parse(R"(  mode: Enforce
  playbook:
  - {name: restart, action: restart}
  budgets: {cooldown: 1m}
)");
}

TEST_F(PlaybookExecutorTest, AStepCutShortBeforeItsSideEffectIsTriedAgain) {
  spec_ = restartOnly();
  // Killed after "Started", before the eviction: two minutes on, the pod is still there.
  addIncident("checkout-1-20260101", startedOnly("restart", "restart", "2025-12-31T23:58:00Z"));
  ASSERT_TRUE(executor().execute(incident()));
  // Failed, and then (the same reconcile) waiting for the cooldown like any failure.
  EXPECT_EQ(outcomes(),
            (std::vector<std::string>{"restart:Started", "restart:Failed", "restart:Skipped"}));
  EXPECT_NE(journal()[1]["message"].get<std::string>().find(
                "cut short before its side effect: pod checkout-1 is still running"),
            std::string::npos)
      << journal()[1];
  EXPECT_TRUE(api_.evicted.empty());
  auto c = incident();
  c.plan.now = kNow + 61;
  ASSERT_TRUE(executor().execute(c));
  EXPECT_EQ(api_.evicted, std::vector<std::string>{"checkout-1"});
  c.plan.now = kNow + 600;
  ASSERT_TRUE(executor().execute(c));
  EXPECT_EQ(api_.evicted.size(), 1u);
}

// faults_two_e2e saw one pod evicted twice: an attempt journalled Failed (its answer lost
// every time) had evicted the pod all the same, and the next attempt, after the cooldown, found
// the pod terminating, which the Eviction API answers with Success once more.
TEST_F(PlaybookExecutorTest, AFailedEvictionThatTookEffectIsNotRepeated) {
  spec_ = restartOnly();
  auto failed = startedOnly("restart", "restart", "2025-12-31T23:58:00Z");
  failed["actions"].push_back({{"step", "restart"},
                               {"action", "restart"},
                               {"outcome", "Failed"},
                               {"time", "2025-12-31T23:58:00Z"},
                               {"message", "evicting pod checkout-1: timed out (x3)"}});
  addIncident("checkout-1-20260101", failed);
  auto terminating = *fake_.object(ref("", "pods"), "shop", "checkout-1");
  terminating["metadata"]["deletionTimestamp"] = "2025-12-31T23:58:05Z";
  fake_.put(ref("", "pods"), terminating);
  ASSERT_TRUE(executor().execute(incident()));
  EXPECT_TRUE(api_.evicted.empty());
  EXPECT_EQ(outcomes(),
            (std::vector<std::string>{"restart:Started", "restart:Failed", "restart:Skipped"}));
  EXPECT_EQ(journal()[2]["message"],
            "pod checkout-1 is terminating already: evicting it again would change nothing");
}

TEST_F(PlaybookExecutorTest, AStepCutShortAfterItsSideEffectIsFoundDone) {
  spec_ = parse(R"(  mode: Enforce
  playbook:
  - {name: restart, action: restart}
)");
  // Killed after the eviction, before its outcome was written: the pod is gone.
  addIncident("checkout-1-20260101", startedOnly("restart", "restart", "2025-12-31T23:58:00Z"));
  fake_.erase(ref("", "pods"), "shop", "checkout-1");
  ASSERT_TRUE(executor().execute(incident()));
  EXPECT_EQ(outcomes(), (std::vector<std::string>{"restart:Started", "restart:Succeeded"}));
  EXPECT_EQ(journal()[1]["message"],
            "found done after the controller was cut short: pod checkout-1 is gone: the "
            "eviction happened");
  EXPECT_EQ((*fake_.object(kIncidents, "shop", "checkout-1-20260101"))["status"]["lastAction"],
            "restart");
  EXPECT_TRUE(api_.evicted.empty());
  EXPECT_EQ(counts_["restart/Succeeded"], 1);
}

TEST_F(PlaybookExecutorTest, AStepStartedMomentsAgoIsUnderWayNotInDoubt) {
  spec_ = parse(R"(  mode: Enforce
  playbook:
  - {name: restart, action: restart}
)");
  addIncident("checkout-1-20260101", startedOnly("restart", "restart", "2025-12-31T23:59:30Z"));
  ASSERT_TRUE(executor().execute(incident()));
  EXPECT_EQ(outcomes(), (std::vector<std::string>{"restart:Started"}));
  EXPECT_TRUE(api_.evicted.empty());
  // A resize cannot tell whether it happened: it stays done, never repeated blindly.
  spec_ = parse(R"(  mode: Enforce
  playbook:
  - {name: grow, action: resizeLimits}
)");
  addIncident("checkout-1-20260101", startedOnly("grow", "resizeLimits", "2025-12-31T23:00:00Z"));
  ASSERT_TRUE(executor().execute(incident()));
  EXPECT_EQ(outcomes(), (std::vector<std::string>{"grow:Started"}));
  EXPECT_TRUE(api_.resized.empty());
}

TEST_F(PlaybookExecutorTest, NothingHappensWhenStartedCannotBeWritten) {
  fake_.fail("replace", Error{"etcd timeout", 500}, 1);
  auto r = executor().execute(incident());
  ASSERT_FALSE(r);
  EXPECT_EQ(fetcher_.calls, 0);
  EXPECT_TRUE(api_.evicted.empty());
  // The next reconcile does it.
  ASSERT_TRUE(executor().execute(incident()));
  EXPECT_EQ(api_.evicted.size(), 1u);
}

// Issue 11, finding 4: a reconcile that lost the Lease went on acting; act() never asked again.
TEST_F(PlaybookExecutorTest, AReconcileThatLostTheLeaseStopsBeforeItsNextSideEffect) {
  // The Lease is lost while the diagnostics are captured: the restart is not started.
  fetcher_.onGet = [this] { leading_ = false; };
  auto r = executor().execute(incident());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("no longer the leader"), std::string::npos) << r.error().message;
  EXPECT_EQ(outcomes(), (std::vector<std::string>{"keep:Started", "keep:Succeeded"}));
  EXPECT_TRUE(api_.evicted.empty());
  // The new leader (here: this one, leading again) does it, once; the budget the lost attempt
  // reserved was given back.
  leading_ = true;
  auto again = executor().execute(incident());
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(api_.evicted, std::vector<std::string>{"checkout-1"});
  EXPECT_EQ(fetcher_.calls, 1);
}

// Issue 11, finding 5: captureDiagnostics ran on the reconcile workers, up to 60 s each: a few
// pods whose debug port accepts and stalls froze every policy.
TEST_F(PlaybookExecutorTest, AStallingDebugPortHoldsUpNoReconcile) {
  StallingFetcher stalling;
  ActionRegistry registry;
  registerDefaultActions(registry, stalling);
  BackgroundRunner runner(1, 8);
  ASSERT_TRUE(runner.start().ok());
  std::mutex wokenMu;
  std::vector<std::string> woken;
  PlaybookExecutor exec(ExecutorOptions{.api = &api_,
                                        .registry = &registry,
                                        .events = nullptr,
                                        .count = nullptr,
                                        .apiTimeout = std::chrono::seconds(5),
                                        .background = &runner,
                                        .wake = [&](const std::string& key) {
                                          std::lock_guard g(wokenMu);
                                          woken.push_back(key);
                                        }});
  auto within5s = [&](const IncidentCase& c) {
    auto f = std::async(std::launch::async, [&] { return exec.execute(c); });
    EXPECT_EQ(f.wait_for(std::chrono::seconds(5)), std::future_status::ready)
        << "the reconcile waited for the capture";
    return f.get();
  };
  // The capture goes to the background; the restart waits for the evidence.
  auto r = within5s(incident());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->outcomes, std::vector<std::string>{"captureDiagnostics:Queued"});
  ASSERT_TRUE(stalling.waitForCalls(1));
  EXPECT_EQ(outcomes(), std::vector<std::string>{"keep:Started"});
  // Reconciled again while the capture stalls: still nothing else, and at once.
  r = within5s(incident());
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(api_.evicted.empty());
  EXPECT_EQ(journal().back()["message"], "waiting for the diagnostics capture under way");
  // Another incident of the same policy: one capture at a time per policy, so it waits too.
  auto other = incident("checkout-2");
  r = within5s(other);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->outcomes.empty());
  EXPECT_EQ(journal("checkout-2-20260101").size(), 0u);

  // The port answers: the outcome is journalled, the policy woken, and the restart goes.
  stalling.release();
  runner.stop();
  EXPECT_EQ(outcomes(),
            (std::vector<std::string>{"keep:Started", "restart:Skipped", "keep:Succeeded"}));
  {
    std::lock_guard g(wokenMu);
    EXPECT_EQ(woken, std::vector<std::string>{"shop/checkout"});
  }
  ASSERT_TRUE(exec.execute(incident()));
  EXPECT_EQ(api_.evicted, std::vector<std::string>{"checkout-1"});
}

// Issue 11, finding 4: maxUnavailable lived in each process. Two controllers, each with a cache
// that still shows both pods Ready, evicted one pod each of a workload allowed one unavailable.
TEST_F(PlaybookExecutorTest, TwoControllersTogetherKeepMaxUnavailable) {
  spec_ = parse(R"(  mode: Enforce
  playbook:
  - {name: restart, action: restart}
  budgets: {maxUnavailable: 1}
)");
  fake_.put(ref("apps", "deployments"),
            json{{"metadata", {{"name", "checkout"}, {"namespace", "shop"}}}, {"spec", {}}});
  PlaybookExecutor a(ExecutorOptions{.api = &api_, .registry = &registry_});
  PlaybookExecutor b(ExecutorOptions{.api = &api_, .registry = &registry_});
  auto stale = [&](const std::string& pod) {
    auto c = incident(pod);
    c.workloadReadyPods = {"uid-checkout-1", "uid-checkout-2"};
    c.plan.workloadUnavailable = 0;
    return c;
  };
  ASSERT_TRUE(a.execute(stale("checkout-1")));
  ASSERT_TRUE(b.execute(stale("checkout-2")));
  EXPECT_EQ(api_.evicted, std::vector<std::string>{"checkout-1"});
  EXPECT_EQ(outcomes("checkout-2-20260101"), std::vector<std::string>{"restart:Skipped"});
  EXPECT_NE(journal("checkout-2-20260101")[0]["message"].get<std::string>().find(
                "being evicted by another LeakGuard controller"),
            std::string::npos)
      << journal("checkout-2-20260101");
  // Two minutes on the claim has expired (checkout-1 is gone from every cache by then).
  auto later = stale("checkout-2");
  later.plan.now = kNow + 121;
  later.workloadReadyPods = {"uid-checkout-2"};
  ASSERT_TRUE(b.execute(later));
  EXPECT_EQ(api_.evicted, (std::vector<std::string>{"checkout-1", "checkout-2"}));
}

TEST_F(PlaybookExecutorTest, ObserveModeRecordsWhatWouldBeDoneAndChangesNothing) {
  spec_ = parse(R"(  mode: Observe
  playbook:
  - {name: keep, action: captureDiagnostics, params: {port: 6060, path: /heap}}
  - {name: restart, action: restart, when: {exhaustionWithin: 30m}}
)");
  const auto podsBefore = fake_.list(ref("", "pods"), {})->items;
  auto r = executor().execute(incident());
  ASSERT_TRUE(r);
  EXPECT_EQ(outcomes(), (std::vector<std::string>{"keep:Observed", "restart:Observed"}));
  EXPECT_EQ(journal()[1]["message"],
            "Observe mode: would evict pod checkout-1 through the Eviction API "
            "(PodDisruptionBudgets honoured) (limit reached in 20m (within 30m))");
  EXPECT_EQ(journal()[0]["message"].get<std::string>().rfind(
                "Observe mode: would GET http://10.1.2.3:6060/heap", 0),
            0u);
  EXPECT_TRUE(api_.evicted.empty());
  EXPECT_EQ(fetcher_.calls, 0);
  EXPECT_EQ(fake_.list(ref("", "pods"), {})->items, podsBefore);
  EXPECT_EQ(fake_.count(ref("", "configmaps")), 0u);
  // Writes: the incident's status only (and Events).
  for (const auto& c : fake_.calls()) {
    if (c.verb == "get" || c.verb == "list") continue;
    EXPECT_TRUE(c.path.find("leakincidents") != std::string::npos ||
                c.path.find("events") != std::string::npos)
        << c.verb << " " << c.path;
  }
  EXPECT_EQ(counts_["restart/Observed"], 1);
  // Observed is done: not recorded again.
  ASSERT_TRUE(executor().execute(incident()));
  EXPECT_EQ(journal().size(), 2u);
}

TEST_F(PlaybookExecutorTest, ADryRunStepInEnforceModeIsObservedTheOthersRun) {
  spec_ = parse(R"(  mode: Enforce
  playbook:
  - {name: quota, action: enforceQuota, dryRun: true, params: {defaultMemoryLimit: 256Mi}}
  - {name: restart, action: restart}
)");
  ASSERT_TRUE(executor().execute(incident()));
  EXPECT_EQ(outcomes(),
            (std::vector<std::string>{"quota:Observed", "restart:Started", "restart:Succeeded"}));
  EXPECT_EQ(
      journal()[0]["message"].get<std::string>().rfind("dry run: would give namespace shop", 0),
      0u);
  EXPECT_EQ(fake_.count(ref("", "limitranges")), 0u);
}

TEST_F(PlaybookExecutorTest, ASpentBudgetSkipsWithAnEventOnceUntilTheReasonChanges) {
  auto c = incident();
  for (int i = 0; i < 4; ++i)
    c.policyActions["old-" + std::to_string(i) + "/restart"] = kNow - 100 * (i + 1);
  ASSERT_TRUE(executor().execute(c));
  // The unconditional evidence step runs; the restart is skipped with the reason.
  EXPECT_EQ(outcomes(),
            (std::vector<std::string>{"keep:Started", "keep:Succeeded", "restart:Skipped"}));
  EXPECT_EQ(journal()[2]["message"], "budget spent: 4/4 actions this hour");
  ASSERT_TRUE(executor().execute(c));
  EXPECT_EQ(journal().size(), 3u);
  EXPECT_EQ(counts_["restart/Skipped"], 1);
  ASSERT_TRUE(recorder_.flush());
  EXPECT_EQ(eventReasons(),
            (std::vector<std::string>{"Deployment:ActionSkipped", "Deployment:DiagnosticsCaptured",
                                      "LeakPolicy:ActionSkipped", "LeakPolicy:DiagnosticsCaptured",
                                      "Pod:ActionSkipped", "Pod:DiagnosticsCaptured"}));
  EXPECT_TRUE(api_.evicted.empty());
}

TEST_F(PlaybookExecutorTest, APodDisruptionBudgetMakesTheRestartWaitThenItRuns) {
  api_.pdbBlocks = true;
  ASSERT_TRUE(executor().execute(incident()));
  // The evidence is kept; the restart waits, journalled as Skipped, never Started.
  EXPECT_EQ(outcomes(),
            (std::vector<std::string>{"keep:Started", "keep:Succeeded", "restart:Skipped"}));
  EXPECT_NE(journal()[2]["message"].get<std::string>().find("PodDisruptionBudget"),
            std::string::npos);
  api_.pdbBlocks = false;
  auto r = executor().execute(incident());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->escalations, 1);  // the reservation of the skipped attempt was given back
  EXPECT_EQ(api_.evicted, std::vector<std::string>{"checkout-1"});
}

TEST_F(PlaybookExecutorTest, TheSameWorkloadWaitsForItsCooldownEvenOnAStaleCache) {
  ASSERT_TRUE(executor().execute(incident("checkout-1")));
  // The caches have not seen the first restart yet: the executor remembers it.
  auto r = executor().execute(incident("checkout-2"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->escalations, 0);
  EXPECT_EQ(api_.evicted, std::vector<std::string>{"checkout-1"});
  EXPECT_EQ(journal("checkout-2-20260101").back()["outcome"], "Skipped");
  EXPECT_NE(journal("checkout-2-20260101").back()["message"].get<std::string>().find("cooldown"),
            std::string::npos);
  EXPECT_TRUE(executor().recentlyTakenAway("uid-checkout-1", kNow + 60));
  EXPECT_FALSE(executor().recentlyTakenAway("uid-checkout-2", kNow + 60));
}

TEST_F(PlaybookExecutorTest, TheGlobalRateLimitHoldsAcrossPolicies) {
  global_ = 1;
  ASSERT_TRUE(executor().execute(incident("checkout-1")));
  auto other = incident("checkout-2");
  other.policyKey = "shop/other";
  other.workloadKey = "Deployment/other";
  ASSERT_TRUE(executor().execute(other));
  EXPECT_EQ(api_.evicted.size(), 1u);
  EXPECT_EQ(journal("checkout-2-20260101").back()["message"],
            "the operator's global action rate is spent");
}

TEST_F(PlaybookExecutorTest, ClosedOrVanishedIncidentsAreLeftAlone) {
  addIncident("checkout-1-20260101", {{"state", "Resolved"}});
  ASSERT_TRUE(executor().execute(incident()));
  fake_.erase(kIncidents, "shop", "checkout-1-20260101");
  ASSERT_TRUE(executor().execute(incident()));
  EXPECT_TRUE(api_.evicted.empty());
  EXPECT_EQ(fake_.callCount("replace"), 0u);
}

TEST_F(PlaybookExecutorTest, AFailedActionIsJournalledAndRetriedAfterTheCooldown) {
  spec_ = parse(R"(  mode: Enforce
  playbook:
  - {name: resize, action: resizeLimits, params: {factor: 2}}
  budgets: {cooldown: 10m}
)");
  api_.resizeError = 503;
  ASSERT_TRUE(executor().execute(incident()));
  EXPECT_EQ(outcomes(), (std::vector<std::string>{"resize:Started", "resize:Failed"}));
  EXPECT_NE(journal()[1]["message"].get<std::string>().find(
                "(attempt 1 of 3: tried again after the cooldown)"),
            std::string::npos)
      << journal()[1];
  EXPECT_EQ(counts_["resizeLimits/Failed"], 1);
  ASSERT_TRUE(recorder_.flush());
  EXPECT_EQ(eventReasons()[0], "Deployment:ActionFailed");

  // Within the cooldown: not tried, and the journal says when it will be.
  auto c = incident();
  c.plan.now = kNow + 300;
  ASSERT_TRUE(executor().execute(c));
  EXPECT_EQ(outcomes(),
            (std::vector<std::string>{"resize:Started", "resize:Failed", "resize:Skipped"}));
  EXPECT_NE(journal()[2]["message"].get<std::string>().find("next attempt in 5m"),
            std::string::npos)
      << journal()[2];
  // After it, the API answers again: the second attempt succeeds.
  api_.resizeError = 0;
  c.plan.now = kNow + 601;
  ASSERT_TRUE(executor().execute(c));
  EXPECT_EQ(outcomes(),
            (std::vector<std::string>{"resize:Started", "resize:Failed", "resize:Skipped",
                                      "resize:Started", "resize:Succeeded"}));
  EXPECT_EQ(counts_["resizeLimits/Succeeded"], 1);
  // And it is done: nothing more.
  c.plan.now = kNow + 1300;
  ASSERT_TRUE(executor().execute(c));
  EXPECT_EQ(outcomes().size(), 5u);
}

TEST_F(PlaybookExecutorTest, ObjectsOfUnexpectedShapeFailTheStepNotTheOperator) {
  auto weird = pod("checkout-1");
  weird["spec"]["containers"] = json::array({{{"name", "app"}, {"resources", {{"limits", 7}}}}});
  weird["status"] = "broken";
  fake_.put(ref("", "pods"), weird);
  spec_ = parse(R"(  mode: Enforce
  playbook:
  - {name: keep, action: captureDiagnostics, params: {port: 6060, path: /heap}}
  - {name: resize, action: resizeLimits}
)");
  auto r = executor().execute(incident());
  ASSERT_TRUE(r);
  for (const auto& o : outcomes())
    EXPECT_TRUE(o.find("Skipped") != std::string::npos || o.find("Failed") != std::string::npos)
        << o;
}

}  // namespace
}  // namespace lg::actions
