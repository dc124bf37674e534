// The node-side release of LeakGuard's memory-pressure taint (issue 11, finding 2): judge() for
// every case, and the sweep against the in-memory API, whatever became of the policy, the
// incident or the eviction.

#include "controllers/reconcile/node_taint_reconciler.h"

#include <gtest/gtest.h>

#include "controllers/actions/action_support.h"
#include "controllers/actions/reschedule_action.h"
#include "tests/fakes/fake_api_client.h"
#include "tests/fakes/fake_clock.h"

namespace lg::reconcile {
namespace {

using nlohmann::json;
using Verdict = NodeTaintReconciler::Verdict;

const kube::ResourceRef kNodes{.group = "", .version = "v1", .resource = "nodes"};
const kube::ResourceRef kIncidents{
    .group = "leakguard.io", .version = "v1alpha1", .resource = "leakincidents"};

// A node; `taintAge` >= 0: it carries LeakGuard's taint (and label), put on that long ago.
json node(const std::string& name, bool pressure, double now, double taintAge,
          bool labelled = true) {
  json n = {
      {"metadata", {{"name", name}, {"labels", {{"kubernetes.io/hostname", name}}}}},
      {"spec", {{"taints", json::array({{{"key", "other"}, {"effect", "NoSchedule"}}})}}},
      {"status",
       {{"conditions",
         json::array({{{"type", "MemoryPressure"}, {"status", pressure ? "True" : "False"}}})}}}};
  if (taintAge >= 0) {
    n["spec"]["taints"].push_back({{"key", "leakguard.io/memory-pressure"},
                                   {"value", "true"},
                                   {"effect", "NoSchedule"},
                                   {"timeAdded", actions::isoTime(now - taintAge)}});
    if (labelled) n["metadata"]["labels"]["leakguard.io/memory-pressure-taint"] = "true";
  }
  return n;
}

TEST(NodeTaintJudge, EveryCase) {
  const double now = 1767225600, hold = 600, grace = 120;
  auto judge = [&](const json& n, std::optional<double> last) {
    return NodeTaintReconciler::judge(n, last, now, hold, grace);
  };
  EXPECT_EQ(judge(node("n", true, now, -1), now), Verdict::kNothing);
  auto labelOnly = node("n", false, now, -1);
  labelOnly["metadata"]["labels"]["leakguard.io/memory-pressure-taint"] = "true";
  EXPECT_EQ(judge(labelOnly, std::nullopt), Verdict::kDropLabel);
  // Pressure over: released, however recent the reschedule or the taint.
  EXPECT_EQ(judge(node("n", false, now, 1), now - 1), Verdict::kReleasePressureOver);
  // Under pressure: kept while a reschedule off the node is recent...
  EXPECT_EQ(judge(node("n", true, now, 3600), now - 599), Verdict::kKeep);
  EXPECT_EQ(judge(node("n", true, now, 3600), now - 601), Verdict::kReleaseUnneeded);
  EXPECT_EQ(judge(node("n", true, now, 3600), std::nullopt), Verdict::kReleaseUnneeded);
  // ...or while the taint is young (its reschedule may not be in the cache yet).
  EXPECT_EQ(judge(node("n", true, now, 60), std::nullopt), Verdict::kKeep);
  EXPECT_EQ(judge(node("n", true, now, 121), std::nullopt), Verdict::kReleaseUnneeded);
  // A taint of an earlier version (no label) is judged the same.
  EXPECT_EQ(judge(node("n", false, now, 1, false), std::nullopt), Verdict::kReleasePressureOver);
  // A taint with an unreadable timeAdded has no grace.
  auto odd = node("n", true, now, 10);
  odd["spec"]["taints"][1]["timeAdded"] = "yesterday";
  EXPECT_EQ(judge(odd, std::nullopt), Verdict::kReleaseUnneeded);
  // Anything the cluster sends is judged without throwing.
  EXPECT_EQ(judge(json(nullptr), std::nullopt), Verdict::kNothing);
  EXPECT_EQ(judge(json{{"metadata", 3}, {"spec", {{"taints", "x"}}}}, std::nullopt),
            Verdict::kNothing);
}

// Two installs on one cluster (two Leases): the taint's label names the install that put it on.
// Another install's taint is not this one's to judge by its own incidents (it cannot see the
// other's): kept while the pressure lasts, released by anyone once it is over.
TEST(NodeTaintJudge, AnotherInstallsTaintIsKeptWhileThePressureLasts) {
  const double now = 1767225600, hold = 600, grace = 120;
  const std::string mine = "leakguard-system/leakguard-controller";
  const std::string theirs = "team-a/leakguard-controller";
  auto tainted = [&](bool pressure, const std::string& by) {
    auto n = node("n", pressure, now, 3600);
    n["metadata"]["labels"]["leakguard.io/memory-pressure-taint"] =
        actions::RescheduleAction::installLabel(by);
    return n;
  };
  auto judge = [&](const json& n) {
    return NodeTaintReconciler::judge(n, std::nullopt, now, hold, grace, mine);
  };
  EXPECT_EQ(judge(tainted(true, theirs)), Verdict::kKeep);
  EXPECT_EQ(judge(tainted(false, theirs)), Verdict::kReleasePressureOver);
  EXPECT_EQ(judge(tainted(true, mine)), Verdict::kReleaseUnneeded);
  // "true" (an unnamed install, or one of an earlier version): anyone's.
  EXPECT_EQ(judge(node("n", true, now, 3600)), Verdict::kReleaseUnneeded);
}

TEST(NodeTaintJudge, TheInstallLabelIsALabelValue) {
  using actions::RescheduleAction;
  EXPECT_EQ(RescheduleAction::installLabel("leakguard-system/leakguard-controller"),
            "leakguard-system.leakguard-controller");
  EXPECT_EQ(RescheduleAction::installLabel(""), "true");
  EXPECT_EQ(RescheduleAction::installLabel("/x/"), "x");
  const std::string a = RescheduleAction::installLabel(std::string(60, 'a') + "/lease-one");
  const std::string b = RescheduleAction::installLabel(std::string(60, 'a') + "/lease-two");
  EXPECT_EQ(a.size(), 63u);
  EXPECT_NE(a, b);  // the hash of the whole identity tells long ones apart
  for (char c : a)
    EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.') << a;
}

class NodeTaintSweepTest : public ::testing::Test {
 protected:
  double now() { return toSeconds(clock_.now()); }
  // An incident on `nodeName` whose reschedule step has these entries (outcome, age).
  void incident(const std::string& name, const std::string& nodeName,
                std::vector<std::pair<std::string, double>> entries) {
    json actions = json::array();
    for (const auto& [outcome, age] : entries)
      actions.push_back({{"time", actions::isoTime(now() - age)},
                         {"step", "move"},
                         {"action", "reschedule"},
                         {"outcome", outcome}});
    json obj = {
        {"apiVersion", "leakguard.io/v1alpha1"},
        {"kind", "LeakIncident"},
        {"metadata",
         {{"name", name}, {"namespace", "shop"}, {"labels", {{"leakguard.io/policy", "hog"}}}}},
        {"spec",
         {{"policy", "hog"},
          {"pod", {{"name", name}, {"uid", "u-" + name}, {"node", nodeName}}},
          {"container", "app"},
          {"resource", "memory"}}},
        {"status", {{"state", "Mitigating"}, {"actions", actions}}}};
    auto i = projectIncident(obj);
    ASSERT_TRUE(i);
    incidents_.upsert(i->key(), std::make_shared<const IncidentObject>(*i), std::to_string(++rv_));
  }
  bool tainted(const std::string& name) {
    const auto obj = api_.object(kNodes, "", name);
    for (const auto& t : (*obj)["spec"]["taints"])
      if (t["key"] == "leakguard.io/memory-pressure") return true;
    return false;
  }
  void sweep() {
    auto r = rec_.reconcile(NodeTaintReconciler::kKey);
    ASSERT_TRUE(r.ok()) << r.error.message;
    ASSERT_TRUE(r.requeueAfter);
    EXPECT_EQ(*r.requeueAfter, std::chrono::seconds(30));
  }

  lg::testing::FakeClock clock_;
  lg::testing::FakeApiClient api_;
  runtime::Store<IncidentObject> incidents_;
  NodeTaintReconciler rec_{{.api = &api_, .clock = &clock_, .incidents = &incidents_}};
  int rv_ = 0;
};

// Before the fix, a node was released only when this process remembered tainting it, or a
// Succeeded reschedule of an existing, valid policy named it: a controller that died after the
// taint, a deleted policy or a failed eviction left the node tainted for good.
TEST_F(NodeTaintSweepTest, ATaintNoIncidentNeedsIsReleasedWhateverBecameOfItsPolicy) {
  api_.put(kNodes, node("orphan", true, now(), 3600));   // its controller died; no incident
  api_.put(kNodes, node("relieved", false, now(), 60));  // pressure over
  api_.put(kNodes, node("busy", true, now(), 3600));     // a reschedule off it 5 min ago
  api_.put(kNodes, node("failed", true, now(), 3600));   // its eviction failed
  api_.put(kNodes, node("young", true, now(), 30));      // just tainted, journal not seen yet
  api_.put(kNodes, node("plain", true, now(), -1));      // not LeakGuard's
  incident("a", "busy", {{"Started", 300}, {"Succeeded", 299}});
  incident("b", "failed", {{"Started", 300}, {"Failed", 299}});
  sweep();
  EXPECT_FALSE(tainted("orphan"));
  EXPECT_FALSE(tainted("relieved"));
  EXPECT_TRUE(tainted("busy"));
  EXPECT_FALSE(tainted("failed"));
  EXPECT_TRUE(tainted("young"));
  // Only LeakGuard's taint goes; the others stay, and so does every other label.
  for (const char* n : {"orphan", "relieved", "failed"}) {
    const auto obj = *api_.object(kNodes, "", n);
    ASSERT_EQ(obj["spec"]["taints"].size(), 1u) << n;
    EXPECT_EQ(obj["spec"]["taints"][0]["key"], "other");
    EXPECT_FALSE(obj["metadata"]["labels"].contains("leakguard.io/memory-pressure-taint")) << n;
    EXPECT_EQ(obj["metadata"]["labels"]["kubernetes.io/hostname"], n);
  }
  EXPECT_EQ(api_.callCount("patch"), 3u);

  // Ten minutes on, the pressure still there and no new reschedule: the busy node is released
  // too, and the young one (nothing ever journalled for it).
  clock_.advance(std::chrono::minutes(10));
  sweep();
  EXPECT_FALSE(tainted("busy"));
  EXPECT_FALSE(tainted("young"));
  EXPECT_EQ((*api_.object(kNodes, "", "plain"))["spec"]["taints"].size(), 1u);
}

TEST_F(NodeTaintSweepTest, AnUnlabelledTaintOfAnEarlierVersionIsFoundThroughItsIncident) {
  api_.put(kNodes, node("old", false, now(), 3600, /*labelled=*/false));
  incident("a", "old", {{"Started", 7200}, {"Succeeded", 7199}});
  sweep();
  EXPECT_FALSE(tainted("old"));
}

TEST_F(NodeTaintSweepTest, ALabelWhoseTaintWasTakenOffByHandIsDropped) {
  auto n = node("n", false, now(), -1);
  n["metadata"]["labels"]["leakguard.io/memory-pressure-taint"] = "true";
  api_.put(kNodes, n);
  sweep();
  EXPECT_FALSE((*api_.object(kNodes, "", "n"))["metadata"]["labels"].contains(
      "leakguard.io/memory-pressure-taint"));
}

TEST_F(NodeTaintSweepTest, AFailedListIsRetriedAndAFailedPatchLeavesTheRestToBeDone) {
  api_.put(kNodes, node("a", false, now(), 60));
  api_.fail("list", makeError("the server is currently unable to handle the request", 503));
  auto r = rec_.reconcile(NodeTaintReconciler::kKey);
  EXPECT_EQ(r.kind, runtime::ReconcileResult::Kind::kRetryableError);
  EXPECT_TRUE(tainted("a"));
  api_.put(kNodes, node("b", false, now(), 60));
  api_.fail("patch", makeError("internal error", 500));
  sweep();
  // One of the two patches failed; the next sweep releases it.
  EXPECT_EQ(static_cast<int>(tainted("a")) + static_cast<int>(tainted("b")), 1);
  sweep();
  EXPECT_FALSE(tainted("a"));
  EXPECT_FALSE(tainted("b"));
}

}  // namespace
}  // namespace lg::reconcile
