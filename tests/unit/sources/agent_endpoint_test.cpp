#include "controllers/sources/agent_endpoint.h"

#include <gtest/gtest.h>

namespace lg::sources {
namespace {

std::shared_ptr<const AgentPodObject> agentPod(const nlohmann::json& j) {
  auto p = projectAgentPodObject(j);
  return p ? std::make_shared<const AgentPodObject>(*p) : nullptr;
}

TEST(AgentEndpoint, RunningReadyAgentPodsWithAnIpAreEndpoints) {
  auto running = agentPod(nlohmann::json::parse(R"({
    "metadata": {"name": "leakguard-agent-x1", "namespace": "leakguard-system"},
    "spec": {"nodeName": "node-1"},
    "status": {"phase": "Running", "podIP": "10.1.0.5",
               "conditions": [{"type": "Initialized", "status": "True"},
                              {"type": "Ready", "status": "True"}]}})"));
  // Not Ready: an agent still waiting for its certificate (or whose sampling stalled).
  auto notReady = agentPod(nlohmann::json::parse(R"({
    "metadata": {"name": "leakguard-agent-x5"}, "spec": {"nodeName": "node-5"},
    "status": {"phase": "Running", "podIP": "10.1.0.9",
               "conditions": [{"type": "Ready", "status": "False"}]}})"));
  auto pending = agentPod(nlohmann::json::parse(R"({
    "metadata": {"name": "leakguard-agent-x2"}, "spec": {"nodeName": "node-2"},
    "status": {"phase": "Pending"}})"));
  auto terminating = agentPod(nlohmann::json::parse(R"({
    "metadata": {"name": "leakguard-agent-x3", "deletionTimestamp": "2026-11-25T19:00:00Z"},
    "status": {"phase": "Running", "podIP": "10.1.0.6"}})"));
  auto noIp = agentPod(nlohmann::json::parse(R"({
    "metadata": {"name": "leakguard-agent-x4"}, "status": {"phase": "Running"}})"));
  ASSERT_TRUE(running && pending && terminating && noIp && notReady);
  EXPECT_TRUE(running->ready);
  EXPECT_TRUE(notReady->running);
  EXPECT_FALSE(notReady->ready);
  EXPECT_EQ(running->node, "node-1");
  EXPECT_TRUE(running->running);
  EXPECT_FALSE(terminating->running);
  const auto eps = agentEndpoints({running, pending, terminating, noIp, notReady, nullptr}, 9440);
  ASSERT_EQ(eps.size(), 1u);
  EXPECT_EQ(eps[0].host, "10.1.0.5");
  EXPECT_EQ(eps[0].port, 9440);
  EXPECT_EQ(eps[0].node, "node-1");
  EXPECT_EQ(eps[0].name, "leakguard-agent-x1");
}

TEST(AgentEndpoint, OddObjects) {
  EXPECT_FALSE(projectAgentPodObject(nlohmann::json::array()));
  EXPECT_FALSE(projectAgentPodObject({{"metadata", {{"namespace", "x"}}}}));
  auto p = projectAgentPodObject({{"metadata", {{"name", "a"}}}, {"status", 5}});
  ASSERT_TRUE(p);
  EXPECT_FALSE(p->running);
}

}  // namespace
}  // namespace lg::sources
