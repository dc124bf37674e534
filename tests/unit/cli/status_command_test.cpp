#include "operator/cli/status_command.h"

#include <gtest/gtest.h>

#include <sstream>

#include "tests/fakes/fake_api_client.h"

namespace lg::cli {
namespace {

const kube::ResourceRef kPolicies{
    .group = "leakguard.io", .version = "v1alpha1", .resource = "leakpolicies"};
const kube::ResourceRef kIncidents{
    .group = "leakguard.io", .version = "v1alpha1", .resource = "leakincidents"};
const kube::ResourceRef kPods{.version = "v1", .resource = "pods"};
const kube::ResourceRef kApiServices{
    .group = "apiregistration.k8s.io", .version = "v1", .resource = "apiservices"};
constexpr double kNow = 1796558400;  // 2026-12-06T12:00:00Z

nlohmann::json policy(const std::string& ns, const std::string& name, bool ready,
                      const std::string& message, int matched, int leaking) {
  return {{"metadata", {{"name", name}, {"namespace", ns}}},
          {"spec", {{"mode", "Enforce"}}},
          {"status",
           {{"matchedPods", matched},
            {"leakingPods", leaking},
            {"conditions",
             {{{"type", "Ready"}, {"status", ready ? "True" : "False"}, {"message", message}}}}}}};
}

nlohmann::json agentPod(const std::string& name, const std::string& node, bool ready) {
  return {
      {"metadata",
       {{"name", name},
        {"namespace", "leakguard-system"},
        {"labels", {{"app.kubernetes.io/name", "leakguard-agent"}}}}},
      {"spec", {{"nodeName", node}}},
      {"status", {{"conditions", {{{"type", "Ready"}, {"status", ready ? "True" : "False"}}}}}}};
}

class StatusCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    api_.put(kPolicies, policy("shop", "checkout", true, "watching 2 pods", 2, 1));
    api_.put(kPolicies, policy("shop", "cart", false, "playbook[0]: unknown action", 0, 0));
    api_.put(kPolicies, policy("blog", "posts", true, "", 5, 0));
    api_.put(kIncidents,
             {{"metadata", {{"name", "checkout-1"}, {"namespace", "shop"}}},
              {"spec", {{"pod", {{"name", "checkout-1"}}}, {"resource", "memory"}}},
              {"status",
               {{"state", "Open"}, {"evidence", {{"exhaustionAt", "2026-12-06T12:20:00Z"}}}}}});
    api_.put(kPods, agentPod("agent-a", "node-a", true));
    api_.put(kPods, agentPod("agent-b", "node-b", false));
    api_.put(kPods, {{"metadata", {{"name", "app"}, {"namespace", "shop"}}}});  // not an agent
    api_.put(kApiServices,
             {{"metadata", {{"name", "v1beta1.metrics.k8s.io"}}},
              {"status", {{"conditions", {{{"type", "Available"}, {"status", "True"}}}}}}});
  }
  int run(StatusFlags flags, const std::string& ns = "shop") {
    out_.str("");
    err_.str("");
    return runStatus(flags, api_, ns, kNow, out_, err_);
  }
  testing::FakeApiClient api_;
  std::ostringstream out_, err_;
};

TEST_F(StatusCommandTest, PoliciesIncidentsAgentsAndSourcesInWords) {
  ASSERT_EQ(run({}), 0) << err_.str();
  EXPECT_EQ(out_.str(),
            "POLICY     MODE      READY                                PODS   LEAKING\n"
            "cart       Enforce   False: playbook[0]: unknown action   0      0\n"
            "checkout   Enforce   True                                 2      1\n"
            "Incidents: 1 open, 1 running out within the hour (leakguard top)\n"
            "Agents: 1/2 Ready; not Ready on: node-b\n"
            "metrics-server: Available\n");
}

TEST_F(StatusCommandTest, AllNamespacesAndJson) {
  StatusFlags f;
  f.allNamespaces = true;
  f.output = "json";
  ASSERT_EQ(run(f), 0);
  const auto j = nlohmann::json::parse(out_.str());
  EXPECT_EQ(j["policies"]["items"].size(), 3u);
  EXPECT_EQ(j["incidents"]["open"], 1);
  EXPECT_EQ(j["agents"]["ready"], 1);
  EXPECT_EQ(j["sources"]["metricsServer"], true);
  EXPECT_TRUE(j["namespace"].is_null());
}

// A part the user may not read is said, the others are still shown, and the exit code is 1.
TEST_F(StatusCommandTest, APartThatCannotBeReadIsReportedNotFatal) {
  api_.fail("list", makeError("pods is forbidden", 403), 1,
            [](const testing::FakeApiClient::Call& c) { return c.ref.resource == "pods"; });
  EXPECT_EQ(run({}), 1);
  EXPECT_NE(out_.str().find("checkout   Enforce"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("Agents: cannot list the agents' pods: pods is forbidden\n"),
            std::string::npos)
      << out_.str();
  EXPECT_EQ(err_.str(), "leakguard status: cannot list the agents' pods: pods is forbidden\n");
}

TEST_F(StatusCommandTest, NoMetricsServerAndNoPolicies) {
  StatusFlags f;
  ASSERT_TRUE(api_.erase(kApiServices, "", "v1beta1.metrics.k8s.io"));
  ASSERT_EQ(run(f, "empty"), 0) << err_.str();
  EXPECT_NE(out_.str().find("Policies: none in namespace empty\n"), std::string::npos)
      << out_.str();
  EXPECT_NE(out_.str().find("Incidents: 0 open"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("metrics-server: not Available (metrics.k8s.io is not served)\n"),
            std::string::npos)
      << out_.str();
}

}  // namespace
}  // namespace lg::cli
