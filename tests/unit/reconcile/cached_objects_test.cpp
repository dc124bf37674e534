// The projections the controller caches: what they keep of a LeakPolicy, a ReplicaSet and a
// LeakIncident, and that missing or mistyped fields leave defaults, never an exception.

#include "controllers/reconcile/cached_objects.h"

#include <gtest/gtest.h>

#include "controllers/policy/api_resources.h"
#include "tests/unit/actions/action_test_support.h"

namespace lg::reconcile {
namespace {

using nlohmann::json;

TEST(CachedObjectsTest, APolicyKeepsItsIdentityAgeParsedSpecAndStatus) {
  const json o = {
      {"metadata",
       {{"name", "checkout"},
        {"namespace", "shop"},
        {"uid", "p-uid"},
        {"generation", 3},
        {"creationTimestamp", "2026-03-01T10:00:00Z"}}},
      {"spec", {{"selector", {{"matchLabels", {{"app", "checkout"}}}}}, {"mode", "Enforce"}}},
      {"status", {{"matchedPods", 2}}}};
  const auto p = projectPolicy(o, actions::testing::defaultActions());
  ASSERT_TRUE(p);
  EXPECT_EQ(p->key(), "shop/checkout");
  EXPECT_EQ(p->uid, "p-uid");
  EXPECT_EQ(p->generation, 3);
  EXPECT_EQ(p->created, "2026-03-01T10:00:00Z");
  EXPECT_TRUE(p->parsed.usable()) << p->parsed.summary();
  EXPECT_EQ(p->parsed.spec.mode, policy::Mode::kEnforce);
  EXPECT_EQ(p->status["matchedPods"], 2);
}

TEST(CachedObjectsTest, WhatTheClusterSendsAmissNeverThrows) {
  const auto& actions = actions::testing::defaultActions();
  EXPECT_FALSE(projectPolicy(json::object(), actions));
  EXPECT_FALSE(projectPolicy(json::array(), actions));
  EXPECT_FALSE(projectPolicy({{"metadata", "not an object"}}, actions));
  const auto odd = projectPolicy({{"metadata", {{"name", "p"}, {"generation", "3"}, {"uid", 7}}},
                                  {"spec", 42},
                                  {"status", "x"}},
                                 actions);
  ASSERT_TRUE(odd);
  EXPECT_EQ(odd->generation, 0);
  EXPECT_EQ(odd->uid, "");
  EXPECT_FALSE(odd->parsed.usable());  // "spec: required", reported in its status
  EXPECT_TRUE(odd->status.is_object());
  EXPECT_FALSE(projectReplicaSet({{"metadata", {{"namespace", "shop"}}}}));
  EXPECT_FALSE(projectIncident(json(nullptr)));
  const auto inc = projectIncident({{"metadata", {{"name", "i"}, {"labels", "x"}}},
                                    {"spec", {{"pod", 3}, {"workload", json::array()}}}});
  ASSERT_TRUE(inc);
  EXPECT_EQ(inc->podName, "");
  EXPECT_EQ(inc->state, "");
}

TEST(CachedObjectsTest, AReplicaSetKeepsItsControllingOwnerRevisionAndHash) {
  const json o = {{"metadata",
                   {{"name", "web-7d9f"},
                    {"namespace", "shop"},
                    {"uid", "rs-uid"},
                    {"annotations", {{"deployment.kubernetes.io/revision", "4"}}},
                    {"labels", {{"pod-template-hash", "7d9f"}}},
                    {"ownerReferences",
                     {{{"kind", "SomethingElse"}, {"name", "x"}},
                      {{"kind", "Deployment"}, {"name", "web"}, {"controller", true}}}}}},
                  {"spec", {{"replicas", 3}}}};
  const auto r = projectReplicaSet(o);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->ownerKind, "Deployment");
  EXPECT_EQ(r->ownerName, "web");
  EXPECT_EQ(r->revision, "4");
  EXPECT_EQ(r->podTemplateHash, "7d9f");
  EXPECT_EQ(r->replicas, 3);
}

TEST(CachedObjectsTest, AnIncidentKeepsWhatTheReconcilerMatchesOn) {
  const json o = {
      {"metadata",
       {{"name", "web-1-20260101"},
        {"namespace", "shop"},
        {"creationTimestamp", "2026-01-01T00:00:00Z"},
        {"labels", {{policy::kLabelPodUid, "pod-uid"}, {policy::kLabelContainer, "app"}}}}},
      {"spec",
       {{"policy", "checkout"},
        {"resource", "fds"},
        {"pod", {{"name", "web-1"}, {"node", "n1"}}},
        {"workload", {{"kind", "Deployment"}, {"name", "web"}, {"revision", "7d9f"}}}}},
      {"status", {{"state", "Mitigating"}}}};
  const auto i = projectIncident(o);
  ASSERT_TRUE(i);
  EXPECT_EQ(i->key(), "shop/web-1-20260101");
  EXPECT_EQ(i->policy, "checkout");
  EXPECT_EQ(i->podUid, "pod-uid");
  EXPECT_EQ(i->container, "app");
  EXPECT_EQ(i->resource, "fds");
  EXPECT_EQ(i->podName, "web-1");
  EXPECT_EQ(i->node, "n1");
  EXPECT_EQ(i->workloadKind, "Deployment");
  EXPECT_EQ(i->workloadRevision, "7d9f");
  EXPECT_EQ(i->state, "Mitigating");
  EXPECT_EQ(i->created, "2026-01-01T00:00:00Z");
}

}  // namespace
}  // namespace lg::reconcile
