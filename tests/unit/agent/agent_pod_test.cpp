#include "controllers/agent/agent_pod.h"

#include <gtest/gtest.h>

namespace lg::agent {
namespace {

TEST(AgentPod, ProjectsIdentityAndContainerIds) {
  auto p = projectAgentPod(nlohmann::json::parse(R"({
    "metadata": {"name": "web-1", "namespace": "shop", "uid": "u-1"},
    "spec": {"containers": [{"name": "app"}, {"name": "sidecar"}, {"name": "late"}]},
    "status": {"containerStatuses": [
      {"name": "sidecar", "containerID": "containerd://bbb"},
      {"name": "app", "containerID": "containerd://aaa2",
       "lastState": {"terminated": {"containerID": "containerd://aaa1", "reason": "OOMKilled"}}}
    ]}})"));
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->uid, "u-1");
  EXPECT_EQ(p->cgroupUid, "u-1");
  EXPECT_EQ(p->ns, "shop");
  ASSERT_EQ(p->containers.size(), 3u);
  EXPECT_EQ(p->containers[0].name, "app");
  EXPECT_EQ(p->containers[0].id, "containerd://aaa2");
  EXPECT_EQ(p->containers[0].lastId, "containerd://aaa1");
  EXPECT_EQ(p->containers[1].id, "containerd://bbb");
  EXPECT_EQ(p->containers[2].id, "");  // not started yet
}

TEST(AgentPod, MirrorPodsUseTheConfigHashForCgroups) {
  auto p = projectAgentPod(nlohmann::json::parse(R"({
    "metadata": {"name": "etcd-node", "namespace": "kube-system", "uid": "api-uid",
                 "annotations": {"kubernetes.io/config.mirror": "0123456789abcdef0123456789abcdef"}}})"));
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->uid, "api-uid");
  EXPECT_EQ(p->cgroupUid, "0123456789abcdef0123456789abcdef");
}

TEST(AgentPod, ToleratesOddObjects) {
  EXPECT_FALSE(projectAgentPod(nlohmann::json::array()));
  EXPECT_FALSE(projectAgentPod({{"metadata", {{"name", "x"}}}}));  // no uid
  auto p = projectAgentPod(nlohmann::json::parse(R"({
    "metadata": {"name": "x", "uid": "u", "annotations": 5},
    "spec": {"containers": [{"name": 3}, "junk", {"name": "ok"}]},
    "status": {"containerStatuses": [{"name": "ok", "containerID": 7, "lastState": []}]}})"));
  ASSERT_TRUE(p.has_value());
  ASSERT_EQ(p->containers.size(), 1u);
  EXPECT_EQ(p->containers[0].id, "");
}

}  // namespace
}  // namespace lg::agent
