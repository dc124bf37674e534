// One Event on the pod, its owner and the policy (the owner's and the policy's naming the pod),
// with the owner's apiVersion by its kind; no owner, no Event for it; a refused write is logged,
// the others still go.

#include "controllers/actions/event_fanout.h"

#include <gtest/gtest.h>

#include <map>

#include "tests/fakes/fake_api_client.h"

namespace lg::actions {
namespace {

const kube::ResourceRef kEvents{.group = "events.k8s.io", .version = "v1", .resource = "events"};

EventSubject subject() {
  return {.ns = "shop",
          .podName = "checkout-1",
          .podUid = "uid-1",
          .workloadKind = "Deployment",
          .workloadName = "checkout",
          .policyName = "checkout",
          .policyUid = "p-uid"};
}

// regarding kind/name -> {apiVersion, note}
std::map<std::string, std::pair<std::string, std::string>> written(
    lg::testing::FakeApiClient& api) {
  std::map<std::string, std::pair<std::string, std::string>> out;
  const auto page = api.list(kEvents, {});
  if (!page) return out;
  for (const auto& e : page->items)
    out[e["regarding"]["kind"].get<std::string>() + "/" +
        e["regarding"]["name"].get<std::string>()] = {
        e["regarding"]["apiVersion"].get<std::string>(), e["note"].get<std::string>()};
  return out;
}

TEST(EventFanoutTest, ThePodItsOwnerAndThePolicyEachGetOne) {
  lg::testing::FakeApiClient api;
  kube::EventRecorder events(api, {.reportingInstance = "test"});
  recordOnPodOwnerAndPolicy(events, subject(), kube::EventType::kNormal, "Restarted", "Restart",
                            "evicted gracefully");
  ASSERT_TRUE(events.flush());
  const auto w = written(api);
  ASSERT_EQ(w.size(), 3u);
  EXPECT_EQ(w.at("Pod/checkout-1"),
            std::make_pair(std::string("v1"), std::string("evicted gracefully")));
  EXPECT_EQ(
      w.at("Deployment/checkout"),
      std::make_pair(std::string("apps/v1"), std::string("pod checkout-1: evicted gracefully")));
  EXPECT_EQ(w.at("LeakPolicy/checkout"),
            std::make_pair(std::string("leakguard.io/v1alpha1"),
                           std::string("pod checkout-1: evicted gracefully")));
}

TEST(EventFanoutTest, WithoutAKnownOwnerThePodAndThePolicyOnly) {
  lg::testing::FakeApiClient api;
  kube::EventRecorder events(api, {.reportingInstance = "test"});
  auto s = subject();
  s.workloadKind.clear();
  recordOnPodOwnerAndPolicy(events, s, kube::EventType::kWarning, "LeakConfirmed", "Detect", "x");
  ASSERT_TRUE(events.flush());
  const auto w = written(api);
  EXPECT_EQ(w.size(), 2u);
  EXPECT_TRUE(w.contains("Pod/checkout-1"));
  EXPECT_TRUE(w.contains("LeakPolicy/checkout"));
}

TEST(EventFanoutTest, OwnersApiVersionByKind) {
  EXPECT_EQ(ownerApiVersion("Deployment"), "apps/v1");
  EXPECT_EQ(ownerApiVersion("StatefulSet"), "apps/v1");
  EXPECT_EQ(ownerApiVersion("DaemonSet"), "apps/v1");
  EXPECT_EQ(ownerApiVersion("ReplicaSet"), "apps/v1");
  EXPECT_EQ(ownerApiVersion("Job"), "batch/v1");
  EXPECT_EQ(ownerApiVersion("CronJob"), "batch/v1");
  EXPECT_EQ(ownerApiVersion("ReplicationController"), "v1");
}

TEST(EventFanoutTest, ARefusedWriteDoesNotStopTheOthers) {
  lg::testing::FakeApiClient api;
  kube::EventRecorder events(api, {.reportingInstance = "test"});
  api.fail("create", Error{"forbidden", 403}, 1);
  recordOnPodOwnerAndPolicy(events, subject(), kube::EventType::kNormal, "Restarted", "Restart",
                            "evicted");
  (void)events.flush();
  EXPECT_EQ(written(api).size(), 2u);
}

}  // namespace
}  // namespace lg::actions
