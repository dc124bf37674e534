// SeriesRouter: which policy's detector settings judge a series when several policies cover
// its pod (judgingPolicy: the oldest), where findings go, what goes with a pod or a policy.

#include "controllers/reconcile/series_router.h"

#include <gtest/gtest.h>

#include "tests/fakes/fake_clock.h"

namespace lg::reconcile {
namespace {

using detect::Resource;

std::shared_ptr<const PolicyObject> policy(const std::string& name, const std::string& created,
                                           double margin) {
  auto p = std::make_shared<PolicyObject>();
  p->ns = "shop";
  p->name = name;
  p->uid = "uid-" + name;
  p->created = created;
  p->parsed.spec.detection.margin = margin;
  return p;
}

TEST(JudgingPolicyTest, TheOldestCoveringPolicyJudgesTheSeries) {
  const auto team = policy("team", "2026-03-01T10:00:00Z", 10);
  const auto later = policy("later", "2026-05-01T10:00:00Z", 3);
  const auto earlier = policy("a-earlier", "2026-01-15T08:00:00Z", 20);
  EXPECT_EQ(judgingPolicy({team, later}, "app", Resource::kMemory), team.get());
  // The order the cache hands them over in does not matter.
  EXPECT_EQ(judgingPolicy({later, team}, "app", Resource::kMemory), team.get());
  EXPECT_EQ(judgingPolicy({later, team, earlier}, "app", Resource::kMemory), earlier.get());
}

TEST(JudgingPolicyTest, TiesAndMissingTimestampsFallBackToTheName) {
  const auto b = policy("b", "2026-03-01T10:00:00Z", 10);
  const auto a = policy("a", "2026-03-01T10:00:00Z", 10);
  const auto undated = policy("0-undated", "", 10);
  EXPECT_EQ(judgingPolicy({b, a}, "app", Resource::kMemory), a.get());
  EXPECT_EQ(judgingPolicy({undated, b}, "app", Resource::kMemory), b.get());
  const auto undated2 = policy("1-undated", "", 10);
  EXPECT_EQ(judgingPolicy({undated2, undated}, "app", Resource::kMemory), undated.get());
}

TEST(JudgingPolicyTest, OnlyAUsablePolicyWatchingTheResourceAndContainerJudges) {
  auto broken = std::make_shared<PolicyObject>(*policy("broken", "2026-01-01T00:00:00Z", 10));
  broken->parsed.issues.push_back({.field = "spec.mode", .message = "unknown mode"});
  auto fdsOnly = std::make_shared<PolicyObject>(*policy("fds", "2026-01-02T00:00:00Z", 10));
  fdsOnly->parsed.spec.resources = {Resource::kFds};
  auto sidecar = std::make_shared<PolicyObject>(*policy("sidecar", "2026-01-03T00:00:00Z", 10));
  sidecar->parsed.spec.containers = {"proxy"};
  const auto young = policy("young", "2026-06-01T00:00:00Z", 10);
  const std::vector<std::shared_ptr<const PolicyObject>> all{broken, fdsOnly, sidecar, young};
  EXPECT_EQ(judgingPolicy(all, "app", Resource::kMemory), young.get());
  EXPECT_EQ(judgingPolicy(all, "app", Resource::kFds), fdsOnly.get());
  EXPECT_EQ(judgingPolicy(all, "proxy", Resource::kMemory), sidecar.get());
  EXPECT_EQ(judgingPolicy({broken}, "app", Resource::kMemory), nullptr);
  EXPECT_EQ(judgingPolicy({}, "app", Resource::kMemory), nullptr);
}

// The router over real stores: settings of the judging policy, findings counted for every
// covering policy and their reconciles asked for, pods and policies forgotten when gone.
class SeriesRouterTest : public ::testing::Test {
 protected:
  SeriesRouterTest() {
    policies.addIndex("namespace", [](const PolicyObject& p) { return std::vector{p.ns}; });
    nlohmann::json pod = {
        {"metadata", {{"namespace", "shop"}, {"name", "web-1"}, {"uid", "pod-uid"}}},
        {"spec", {{"containers", {{{"name", "app"}}}}}}};
    pods.upsert("shop/web-1",
                std::make_shared<const runtime::PodProjection>(*runtime::projectPod(pod)), "1");
  }
  void addPolicy(const std::shared_ptr<const PolicyObject>& p) {
    policies.upsert(p->key(), p, "1");
  }
  SeriesRouter router() {
    return SeriesRouter({.policies = &policies,
                         .pods = &pods,
                         .policiesCovering =
                             [this](const runtime::PodProjection&) {
                               std::vector<std::string> keys;
                               for (const auto& p : policies.list())
                                 keys.push_back(p->key());
                               return keys;
                             },
                         .hub = &hub,
                         .settings = &settings,
                         .forecast = &forecast,
                         .findingsTotal = &findings,
                         .wake = [this](const std::string& k) { woken.push_back(k); },
                         .clock = &clock});
  }
  UsageSample sample() const {
    return {.podUid = "pod-uid",
            .ns = "shop",
            .pod = "web-1",
            .container = "app",
            .time = toSeconds(clock.now()),
            .value = 100,
            .limit = 1000};
  }

  lg::testing::FakeClock clock;
  runtime::Store<PolicyObject> policies;
  runtime::Store<runtime::PodProjection> pods;
  runtime::MetricsRegistry registry;
  runtime::CounterFamily& findings =
      registry.counter("leakguard_findings_total", "findings", {"resource", "policy", "namespace"});
  DetectorSettings settings;
  UsageHub hub;
  ForecastGauges forecast{registry, 1800};
  std::vector<std::string> woken;
};

TEST_F(SeriesRouterTest, SettingsComeFromTheJudgingPolicyAndNoneWithoutOne) {
  auto r = router();
  EXPECT_EQ(r.optionsFor(sample()), nullptr);  // no policy covers the pod
  addPolicy(policy("later", "2026-05-01T10:00:00Z", 3));
  addPolicy(policy("team", "2026-03-01T10:00:00Z", 25));
  auto opts = r.optionsFor(sample());
  ASSERT_NE(opts, nullptr);
  EXPECT_EQ(opts->margin, 25);
  auto unknown = sample();
  unknown.pod = "web-2";  // not in the pod cache
  EXPECT_EQ(r.optionsFor(unknown), nullptr);
}

TEST_F(SeriesRouterTest, AFindingIsCountedAndWakesEveryCoveringPolicy) {
  addPolicy(policy("team", "2026-03-01T10:00:00Z", 10));
  addPolicy(policy("later", "2026-05-01T10:00:00Z", 10));
  auto r = router();
  const SeriesKey key{.podUid = "pod-uid", .container = "app", .resource = Resource::kMemory};
  const SeriesView view{.ns = "shop", .pod = "web-1", .container = "app"};
  detect::Finding f;
  f.exhaustionSeconds = 1200;
  r.onFinding(key, view, f);
  std::sort(woken.begin(), woken.end());
  EXPECT_EQ(woken, (std::vector<std::string>{"shop/later", "shop/team"}));
  const std::string text = registry.render();
  EXPECT_NE(text.find("leakguard_findings_total{resource=\"memory\",policy=\"team\","
                      "namespace=\"shop\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("policy=\"later\""), std::string::npos) << text;

  // The policy gone takes its findings series with it; the other stays.
  r.policyDeleted(*policies.get("shop/later"));
  const std::string after = registry.render();
  EXPECT_EQ(after.find("policy=\"later\""), std::string::npos) << after;
  EXPECT_NE(after.find("policy=\"team\""), std::string::npos) << after;
}

TEST_F(SeriesRouterTest, APodGoneTakesItsSeriesWithIt) {
  addPolicy(policy("team", "2026-03-01T10:00:00Z", 10));
  auto r = router();
  UsageHub routed({.optionsFor = [&r](const UsageSample& s) { return r.optionsFor(s); }});
  SeriesRouter withHub(
      {.policies = &policies,
       .pods = &pods,
       .policiesCovering =
           [](const runtime::PodProjection&) { return std::vector<std::string>{"shop/team"}; },
       .hub = &routed,
       .settings = &settings,
       .forecast = &forecast,
       .findingsTotal = &findings,
       .wake = [](const std::string&) {},
       .clock = &clock});
  EXPECT_TRUE(routed.ingest(sample()));
  EXPECT_EQ(routed.seriesCount(), 1u);
  withHub.podDeleted(*pods.get("shop/web-1"));
  EXPECT_EQ(routed.seriesCount(), 0u);
}

// Detection on the agents: a node's assignment holds the covered pods of that node, each
// container's resources by the judging policy's settings; the controller's hub then follows
// none of that node's pods.
TEST_F(SeriesRouterTest, ANodesAssignmentNamesItsCoveredSeriesAndTheirSettings) {
  nlohmann::json pod = {
      {"metadata", {{"namespace", "shop"}, {"name", "web-2"}, {"uid", "pod-2"}}},
      {"spec", {{"nodeName", "node-1"}, {"containers", {{{"name", "app"}}, {{"name", "proxy"}}}}}},
      {"status", {{"phase", "Running"}}}};
  pods.upsert("shop/web-2",
              std::make_shared<const runtime::PodProjection>(*runtime::projectPod(pod)), "1");
  pod["metadata"] = {{"namespace", "shop"}, {"name", "done"}, {"uid", "pod-3"}};
  pod["status"]["phase"] = "Succeeded";
  pods.upsert("shop/done",
              std::make_shared<const runtime::PodProjection>(*runtime::projectPod(pod)), "1");
  auto r = router();
  EXPECT_TRUE(r.assignments({"node-1"}).at("node-1").pods.empty()) << "no policy yet";
  auto sidecar = std::make_shared<PolicyObject>(*policy("sidecar", "2026-01-01T00:00:00Z", 6));
  sidecar->parsed.spec.containers = {"proxy"};
  sidecar->parsed.spec.resources = {Resource::kFds};
  addPolicy(sidecar);
  addPolicy(policy("team", "2026-03-01T10:00:00Z", 25));
  const auto all = r.assignments({"node-1", "node-2"});
  EXPECT_TRUE(all.at("node-2").pods.empty());
  const auto& a = all.at("node-1");
  ASSERT_EQ(a.pods.size(), 1u) << "web-1 has no node, done has finished";
  EXPECT_EQ(a.pods[0].uid, "pod-2");
  ASSERT_EQ(a.pods[0].containers.size(), 2u);
  ASSERT_EQ(a.profiles.size(), 2u);
  // Canonical, whatever order the cache lists pods in: every replica works out the same.
  EXPECT_TRUE(std::is_sorted(a.profiles.begin(), a.profiles.end()));
  const auto& app = a.pods[0].containers[0];
  const auto& proxy = a.pods[0].containers[1];
  EXPECT_EQ(app.name, "app");
  EXPECT_EQ(a.profiles[app.profile[0]].margin, 25);    // memory: team
  EXPECT_EQ(a.profiles[proxy.profile[1]].margin, 6);   // proxy's fds: the older sidecar policy
  EXPECT_EQ(a.profiles[proxy.profile[0]].margin, 25);  // proxy's memory: team

  // The node's agent detects: the controller's hub follows none of its pods.
  SeriesRouter elsewhere(
      {.policies = &policies,
       .pods = &pods,
       .policiesCovering =
           [](const runtime::PodProjection&) { return std::vector<std::string>{"shop/team"}; },
       .hub = &hub,
       .settings = &settings,
       .forecast = &forecast,
       .findingsTotal = &findings,
       .wake = [](const std::string&) {},
       .clock = &clock,
       .detectedOnNode = [](const std::string& n) { return n == "node-1"; }});
  auto onNode = sample();
  onNode.pod = "web-2";
  EXPECT_EQ(elsewhere.optionsFor(onNode), nullptr);
  EXPECT_NE(elsewhere.optionsFor(sample()), nullptr);  // web-1: on no detecting node
}

TEST(AssignmentMayChangeTest, OnlyWhatTheAssignmentReadsCounts) {
  nlohmann::json pod = {{"metadata", {{"namespace", "shop"}, {"name", "web"}, {"uid", "u"}}},
                        {"spec", {{"nodeName", "n"}, {"containers", {{{"name", "app"}}}}}},
                        {"status", {{"phase", "Running"}}}};
  const auto before = *runtime::projectPod(pod);
  auto same = pod;
  same["status"]["podIP"] = "10.0.0.9";
  EXPECT_FALSE(assignmentMayChange(before, *runtime::projectPod(same)));
  auto labelled = pod;
  labelled["metadata"]["labels"] = {{"app", "web"}};
  EXPECT_TRUE(assignmentMayChange(before, *runtime::projectPod(labelled)));
  auto finished = pod;
  finished["status"]["phase"] = "Failed";
  EXPECT_TRUE(assignmentMayChange(before, *runtime::projectPod(finished)));
}

}  // namespace
}  // namespace lg::reconcile
