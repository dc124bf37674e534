#include "operator/cli/recommend_command.h"

#include <gtest/gtest.h>

#include <sstream>

#include "operator/util/yaml_json.h"
#include "tests/fakes/fake_api_client.h"

namespace lg::cli {
namespace {

const kube::ResourceRef kPolicies{
    .group = "leakguard.io", .version = "v1alpha1", .resource = "leakpolicies"};

nlohmann::json policy(const std::string& ns, const std::string& name,
                      const nlohmann::json& recommendations) {
  return {{"apiVersion", "leakguard.io/v1alpha1"},
          {"kind", "LeakPolicy"},
          {"metadata", {{"name", name}, {"namespace", ns}}},
          {"status", {{"recommendations", recommendations}}}};
}

class RecommendCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    api_.put(kPolicies, policy("demo", "web", nlohmann::json::parse(R"([
      {"workload": "Deployment/checkout", "container": "app", "pods": 1,
       "current": {"request": "64Mi", "limit": "256Mi"}, "shape": "leaking",
       "leak": {"rate": "+8Mi/min", "raise": "+128Mi", "delay": "16m"},
       "basis": "leaking +8Mi/min: +128Mi delays it by 16m"},
      {"workload": "Deployment/catalog", "container": "app", "pods": 1,
       "current": {"request": "64Mi", "limit": "256Mi"}, "shape": "warm-up",
       "request": "116Mi", "limit": "118Mi", "basis": "p90 100Mi of the plateau"},
      {"workload": "Deployment/search", "container": "app", "pods": 2,
       "current": {"limit": "61Mi"}, "shape": "steady", "request": "60Mi", "limit": "61Mi",
       "basis": "p90 52Mi"},
      {"workload": "", "container": "app"},
      "not an object"])")));
    api_.put(kPolicies, policy("blog", "posts", nlohmann::json::parse(R"([
      {"workload": "StatefulSet/db", "container": "pg", "pods": 3, "current": {},
       "shape": "too-short", "basis": "only 10m of usage observed"}])")));
    api_.put(kPolicies, policy("blog", "empty", "not a list"));
  }
  int run(RecommendFlags flags, const std::string& ns = "demo") {
    out_.str("");
    err_.str("");
    return runRecommend(flags, api_, ns, out_, err_);
  }
  testing::FakeApiClient api_;
  std::ostringstream out_, err_;
};

TEST_F(RecommendCommandTest, ATableOfCurrentAndRecommendedSizes) {
  ASSERT_EQ(run({}), 0) << err_.str();
  EXPECT_EQ(out_.str(),
            "WORKLOAD              CONTAINER   PODS   REQUEST         LIMIT            WHY\n"
            "Deployment/catalog    app         1      64Mi -> 116Mi   256Mi -> 118Mi   p90 100Mi "
            "of the plateau\n"
            "Deployment/checkout   app         1      64Mi            256Mi            leaking "
            "+8Mi/min: +128Mi delays it by 16m\n"
            "Deployment/search     app         2      none -> 60Mi    61Mi (keep)      p90 52Mi\n");
}

TEST_F(RecommendCommandTest, AllNamespacesAndWide) {
  RecommendFlags f;
  f.allNamespaces = true;
  f.output = "wide";
  ASSERT_EQ(run(f), 0) << err_.str();
  const std::string o = out_.str();
  EXPECT_EQ(o.substr(0, o.find('\n')),
            "NAMESPACE   WORKLOAD              CONTAINER   PODS   REQUEST         LIMIT          "
            "  SHAPE       POLICY   WHY");
  EXPECT_NE(o.find("blog        StatefulSet/db        pg          3      -               -      "
                   "          too-short   posts    only 10m of usage observed\n"),
            std::string::npos)
      << o;
}

TEST_F(RecommendCommandTest, JsonAndYaml) {
  RecommendFlags f;
  f.output = "json";
  ASSERT_EQ(run(f), 0) << err_.str();
  const auto j = nlohmann::json::parse(out_.str());
  ASSERT_EQ(j["items"].size(), 3u);
  EXPECT_EQ(j["items"][0]["workload"], "Deployment/catalog");
  EXPECT_EQ(j["items"][0]["request"], "116Mi");
  EXPECT_EQ(j["items"][1]["leak"]["raise"], "+128Mi");
  EXPECT_FALSE(j["items"][1].contains("request"));
  f.output = "yaml";
  ASSERT_EQ(run(f), 0) << err_.str();
  auto y = yamlToJson(out_.str());
  ASSERT_TRUE(y.ok()) << y.error().message;
  EXPECT_EQ(y->at(0), j);
}

TEST_F(RecommendCommandTest, NothingToSayAndRefusals) {
  ASSERT_EQ(run({}, "empty-ns"), 0);
  EXPECT_EQ(out_.str(),
            "No recommendations in namespace empty-ns: no LeakPolicy covers a running pod yet, or "
            "spec.recommendations.enabled is false.\n");
  api_.fail("list", Error{"leakpolicies is forbidden", 403});
  EXPECT_EQ(run({}), 1);
  EXPECT_EQ(err_.str(),
            "leakguard recommend: cannot list leakpolicies in namespace demo: leakpolicies is "
            "forbidden\n");
}

}  // namespace
}  // namespace lg::cli
