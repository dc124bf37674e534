#include "operator/runtime/pod_projection.h"

#include <gtest/gtest.h>

namespace lg::runtime {
namespace {

using nlohmann::json;

json realisticPod() {
  return json::parse(R"({
    "apiVersion": "v1", "kind": "Pod",
    "metadata": {
      "name": "checkout-7d9f8b6c5-x2k4p", "namespace": "shop",
      "uid": "3f1c2b4a-9d8e-4f7a-b6c5-0123456789ab", "resourceVersion": "48213",
      "labels": {"app": "checkout", "pod-template-hash": "7d9f8b6c5", "tier": "web"},
      "annotations": {"kubectl.kubernetes.io/restartedAt": "2026-01-01T00:00:00Z"},
      "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
        "name": "checkout-7d9f8b6c5", "uid": "a1b2c3d4-0000-4000-8000-00000000beef",
        "controller": true, "blockOwnerDeletion": true}],
      "managedFields": [{"manager": "kube-controller-manager", "operation": "Update"}]
    },
    "spec": {
      "nodeName": "lg-node",
      "containers": [
        {"name": "app", "image": "shop/checkout:1.4",
         "resources": {"limits": {"memory": "256Mi", "cpu": "500m"},
                       "requests": {"memory": "128Mi"}}},
        {"name": "sidecar", "image": "envoy:1.30"}
      ]
    },
    "status": {
      "phase": "Running", "qosClass": "Burstable",
      "containerStatuses": [
        {"name": "sidecar", "containerID": "containerd://ffff", "restartCount": 0,
         "lastState": {}},
        {"name": "app", "restartCount": 3,
         "containerID": "containerd://0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0",
         "lastState": {"terminated": {"reason": "OOMKilled", "exitCode": 137}}}
      ]
    }
  })");
}

TEST(PodProjectionTest, ProjectsTheFieldsLeakGuardReads) {
  StringInterner in;
  auto p = projectPod(realisticPod(), in);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->key(), "shop/checkout-7d9f8b6c5-x2k4p");
  EXPECT_EQ(p->uid.str(), "3f1c2b4a-9d8e-4f7a-b6c5-0123456789ab");
  EXPECT_EQ(p->nodeName, std::string_view("lg-node"));
  EXPECT_EQ(p->phase, PodPhase::kRunning);
  EXPECT_EQ(p->qos, QosClass::kBurstable);
  EXPECT_FALSE(p->terminating);
  EXPECT_EQ(p->label("app"), "checkout");
  EXPECT_EQ(p->label("tier"), "web");
  EXPECT_EQ(p->label("nope"), std::nullopt);
  ASSERT_EQ(p->owners.size(), 1u);
  const OwnerRef* ctl = p->controllerRef();
  ASSERT_NE(ctl, nullptr);
  EXPECT_EQ(ctl->kind, std::string_view("ReplicaSet"));
  EXPECT_EQ(ctl->name, std::string_view("checkout-7d9f8b6c5"));
  EXPECT_EQ(ctl->uid.str(), "a1b2c3d4-0000-4000-8000-00000000beef");
  ASSERT_EQ(p->containers.size(), 2u);
  const auto* app = p->container("app");
  ASSERT_NE(app, nullptr);
  EXPECT_EQ(app->memoryLimitBytes, 256ll * 1024 * 1024);
  EXPECT_EQ(app->memoryRequestBytes, 128ll * 1024 * 1024);
  EXPECT_EQ(app->restartCount, 3);
  EXPECT_EQ(app->lastTerminationReason, std::string_view("OOMKilled"));
  EXPECT_EQ(app->id.str(),
            "containerd://0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0");
  EXPECT_EQ(app->id.scheme(), "containerd");
  const auto* sidecar = p->container("sidecar");
  ASSERT_NE(sidecar, nullptr);
  EXPECT_EQ(sidecar->memoryLimitBytes, 0);
  EXPECT_EQ(sidecar->memoryRequestBytes, 0);
  EXPECT_EQ(sidecar->id.str(), "containerd://ffff");
  EXPECT_TRUE(sidecar->lastTerminationReason.empty());
}

TEST(PodProjectionTest, SaysWhetherTheSpecMaySetARuntimesHeapOptions) {
  StringInterner in;
  auto pod = realisticPod();
  EXPECT_FALSE(projectPod(pod, in)->container("app")->runtimeOptionsInSpec);
  pod["spec"]["containers"][0]["env"] = json::parse(R"([{"name": "PORT", "value": "8080"}])");
  EXPECT_FALSE(projectPod(pod, in)->container("app")->runtimeOptionsInSpec);
  for (const char* name :
       {"JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS", "NODE_OPTIONS"}) {
    pod["spec"]["containers"][0]["env"][1] = {{"name", name}, {"value", "-Xmx1g"}};
    EXPECT_TRUE(projectPod(pod, in)->container("app")->runtimeOptionsInSpec) << name;
  }
  pod["spec"]["containers"][0].erase("env");
  pod["spec"]["containers"][0]["envFrom"] = json::parse(R"([{"configMapRef": {"name": "x"}}])");
  EXPECT_TRUE(projectPod(pod, in)->container("app")->runtimeOptionsInSpec);
  EXPECT_FALSE(projectPod(pod, in)->container("sidecar")->runtimeOptionsInSpec);
}

TEST(PodProjectionTest, ReadyFollowsTheReadyCondition) {
  StringInterner in;
  auto pod = realisticPod();
  EXPECT_FALSE(projectPod(pod, in)->ready);  // no conditions: not known to be ready
  pod["status"]["conditions"] = json::parse(R"([{"type": "PodScheduled", "status": "True"},
                                                {"type": "Ready", "status": "True"}])");
  EXPECT_TRUE(projectPod(pod, in)->ready);
  pod["status"]["conditions"][1]["status"] = "False";
  EXPECT_FALSE(projectPod(pod, in)->ready);
  pod["status"]["conditions"] = json::parse(R"([{"type": "Ready", "status": 1}, "junk"])");
  EXPECT_FALSE(projectPod(pod, in)->ready);
}

TEST(PodProjectionTest, StaysSmall) {
  StringInterner in;
  auto p = projectPod(realisticPod(), in);
  ASSERT_TRUE(p);
  // Inline + exact heap blocks, interned strings excluded.
  EXPECT_LT(p->memoryBytes(), 500u) << p->memoryBytes();
}

TEST(PodProjectionTest, RepeatingStringsAreShared) {
  StringInterner in;
  json a = realisticPod();
  json b = realisticPod();
  b["metadata"]["name"] = "checkout-7d9f8b6c5-zzzzz";
  auto pa = projectPod(a, in);
  auto pb = projectPod(b, in);
  EXPECT_EQ(pa->ns.view().data(), pb->ns.view().data());
  EXPECT_EQ(pa->nodeName.view().data(), pb->nodeName.view().data());
  EXPECT_EQ(pa->labels[0].first.view().data(), pb->labels[0].first.view().data());
  EXPECT_NE(pa->name.view().data(), pb->name.view().data());
}

TEST(PodProjectionTest, ToleratesMissingAndMistypedFields) {
  StringInterner in;
  auto minimal = projectPod(json{{"metadata", {{"name", "p"}}}}, in);
  ASSERT_TRUE(minimal);
  EXPECT_EQ(minimal->key(), "p");
  EXPECT_EQ(minimal->phase, PodPhase::kUnknown);
  EXPECT_TRUE(minimal->containers.empty());

  json odd = realisticPod();
  odd["metadata"]["labels"]["weird"] = 42;
  odd["metadata"]["ownerReferences"] = "nope";
  odd["spec"]["containers"][0]["resources"]["limits"]["memory"] = "lots";
  odd["status"]["containerStatuses"][1]["restartCount"] = "three";
  odd["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z";
  auto p = projectPod(odd, in);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->label("weird"), std::nullopt);
  EXPECT_TRUE(p->owners.empty());
  EXPECT_EQ(p->container("app")->memoryLimitBytes, 0);
  EXPECT_EQ(p->container("app")->restartCount, 0);
  EXPECT_TRUE(p->terminating);

  EXPECT_FALSE(projectPod(json{{"metadata", json::object()}}, in));
  EXPECT_FALSE(projectPod(json::array(), in));
  EXPECT_FALSE(projectPod(json(nullptr), in));
}

TEST(PodProjectionTest, IndexFunctions) {
  StringInterner in;
  auto p = projectPod(realisticPod(), in);
  EXPECT_EQ(podNamespaceIndex(*p), std::vector<std::string>{"shop"});
  EXPECT_EQ(podNodeIndex(*p), std::vector<std::string>{"lg-node"});
  EXPECT_EQ(podOwnerUidIndex(*p), std::vector<std::string>{"a1b2c3d4-0000-4000-8000-00000000beef"});
  EXPECT_EQ(podLabelIndex(*p),
            (std::vector<std::string>{"app=checkout", "pod-template-hash=7d9f8b6c5", "tier=web"}));
  auto unscheduled = projectPod(json{{"metadata", {{"name", "p"}, {"namespace", "x"}}}}, in);
  EXPECT_TRUE(podNodeIndex(*unscheduled).empty());
}

TEST(QuantityTest, ParsesKubernetesQuantities) {
  EXPECT_EQ(parseQuantityBytes("128Mi"), 128ll << 20);
  EXPECT_EQ(parseQuantityBytes("1Gi"), 1ll << 30);
  EXPECT_EQ(parseQuantityBytes("1.5Gi"), 3ll << 29);
  EXPECT_EQ(parseQuantityBytes("64Ki"), 65536);
  EXPECT_EQ(parseQuantityBytes("2Ti"), 2ll << 40);
  EXPECT_EQ(parseQuantityBytes("500M"), 500000000);
  EXPECT_EQ(parseQuantityBytes("1G"), 1000000000);
  EXPECT_EQ(parseQuantityBytes("129k"), 129000);
  EXPECT_EQ(parseQuantityBytes("123456789"), 123456789);
  EXPECT_EQ(parseQuantityBytes("1e9"), 1000000000);
  EXPECT_EQ(parseQuantityBytes("1E3"), 1000);
  EXPECT_EQ(parseQuantityBytes("100m"), 1);  // 0.1 byte rounds up
  EXPECT_EQ(parseQuantityBytes("0"), 0);
  EXPECT_EQ(parseQuantityBytes("+5Mi"), 5ll << 20);
  EXPECT_EQ(parseQuantityBytes("-1Mi"), -(1ll << 20));
  for (const char* bad : {"", "Mi", "1.2.3Mi", "12XB", "1e", "1e999", ".", "9999999Ei"})
    EXPECT_EQ(parseQuantityBytes(bad), std::nullopt) << bad;
}

TEST(PodProjectionTest, EnumNames) {
  EXPECT_EQ(toString(PodPhase::kSucceeded), "Succeeded");
  EXPECT_EQ(toString(QosClass::kBestEffort), "BestEffort");
}

}  // namespace
}  // namespace lg::runtime
