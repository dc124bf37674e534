// Which pods a policy covers and which workload owns a pod: the tenancy line (never another
// namespace), finished and terminating pods left alone, ReplicaSet -> Deployment followed.

#include "controllers/reconcile/pod_selection.h"

#include <gtest/gtest.h>

#include "tests/unit/actions/action_test_support.h"

namespace lg::reconcile {
namespace {

using nlohmann::json;

runtime::PodProjection pod(const std::string& ns, json labels, json owner = nullptr,
                           const std::string& phase = "Running", bool terminating = false) {
  json p = {{"metadata", {{"name", "web-1"}, {"namespace", ns}, {"uid", "u1"}, {"labels", labels}}},
            {"spec", {{"containers", {{{"name", "app"}}}}}},
            {"status", {{"phase", phase}}}};
  if (!owner.is_null()) p["metadata"]["ownerReferences"] = json::array({owner});
  if (terminating) p["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z";
  return *runtime::projectPod(p);
}

json controller(const std::string& kind, const std::string& name) {
  return {{"apiVersion", "apps/v1"}, {"kind", kind}, {"name", name}, {"controller", true}};
}

PolicyObject policy(const std::string& ns, json spec) {
  json o = {{"metadata", {{"name", "p"}, {"namespace", ns}}}, {"spec", spec}};
  return *projectPolicy(o, actions::testing::defaultActions());
}

std::optional<ReplicaSetObject> replicaSets(const std::string& ns, const std::string& name) {
  if (ns == "shop" && name == "web-7d9f")
    return ReplicaSetObject{.ns = ns, .name = name, .ownerKind = "Deployment", .ownerName = "web"};
  return std::nullopt;
}

TEST(PodSelectionTest, ASelectorCoversMatchingPodsOfItsOwnNamespaceOnly) {
  const auto p = policy("shop", {{"selector", {{"matchLabels", {{"app", "web"}}}}}});
  ASSERT_TRUE(p.parsed.usable()) << p.parsed.summary();
  EXPECT_TRUE(covers(p, pod("shop", {{"app", "web"}}), replicaSets));
  EXPECT_FALSE(covers(p, pod("shop", {{"app", "cart"}}), replicaSets));
  // The same labels in another namespace: never (tenancy).
  EXPECT_FALSE(covers(p, pod("billing", {{"app", "web"}}), replicaSets));
}

TEST(PodSelectionTest, FinishedAndTerminatingPodsAreNotCovered) {
  const auto p = policy("shop", {{"selector", {{"matchLabels", {{"app", "web"}}}}}});
  EXPECT_FALSE(covers(p, pod("shop", {{"app", "web"}}, nullptr, "Succeeded"), replicaSets));
  EXPECT_FALSE(covers(p, pod("shop", {{"app", "web"}}, nullptr, "Failed"), replicaSets));
  EXPECT_FALSE(covers(p, pod("shop", {{"app", "web"}}, nullptr, "Running", true), replicaSets));
  EXPECT_TRUE(covers(p, pod("shop", {{"app", "web"}}, nullptr, "Pending"), replicaSets));
}

TEST(PodSelectionTest, AWorkloadRefFollowsTheReplicaSetToItsDeployment) {
  const auto p = policy("shop", {{"workloadRef", {{"kind", "Deployment"}, {"name", "web"}}}});
  ASSERT_TRUE(p.parsed.usable()) << p.parsed.summary();
  const auto owned =
      pod("shop", {{"pod-template-hash", "7d9f"}}, controller("ReplicaSet", "web-7d9f"));
  EXPECT_TRUE(covers(p, owned, replicaSets));
  const Workload w = workloadOf(owned, replicaSets);
  EXPECT_EQ(w.kind, "Deployment");
  EXPECT_EQ(w.name, "web");
  EXPECT_EQ(w.revision, "7d9f");
  // A ReplicaSet the cache does not know stays a ReplicaSet: not the Deployment's.
  EXPECT_FALSE(covers(p, pod("shop", {}, controller("ReplicaSet", "web-0000")), replicaSets));
  // Without a lookup, too.
  EXPECT_EQ(workloadOf(owned, nullptr).kind, "ReplicaSet");
}

TEST(PodSelectionTest, AStatefulSetPodsRevisionAndABarePod) {
  const auto sts =
      pod("shop", {{"controller-revision-hash", "db-5c6d"}}, controller("StatefulSet", "db"));
  const Workload w = workloadOf(sts, replicaSets);
  EXPECT_EQ(w.kind, "StatefulSet");
  EXPECT_EQ(w.name, "db");
  EXPECT_EQ(w.revision, "db-5c6d");
  const Workload bare = workloadOf(pod("shop", {}), replicaSets);
  EXPECT_EQ(bare.kind, "");
  EXPECT_EQ(bare.name, "");
  const auto p = policy("shop", {{"workloadRef", {{"kind", "StatefulSet"}, {"name", "db"}}}});
  EXPECT_TRUE(covers(p, sts, replicaSets));
  EXPECT_FALSE(covers(p, pod("shop", {}), replicaSets));
}

}  // namespace
}  // namespace lg::reconcile
