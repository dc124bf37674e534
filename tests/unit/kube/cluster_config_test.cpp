#include "operator/kube/cluster_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "tests/fakes/fake_clock.h"
#include "tests/fakes/kube/temp_dir.h"

namespace lg::kube {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

std::string kubeconfigFor(const std::string& server) {
  return "clusters: [{name: c, cluster: {server: \"" + server +
         "\"}}]\ncontexts: [{name: x, context: {cluster: c}}]\ncurrent-context: x\n";
}

class LoadConfigTest : public ::testing::Test {
 protected:
  testing::TempDir dir;
  lg::testing::FakeClock clock;
  std::map<std::string, std::string> vars;

  void SetUp() override {
    dir.write("flag.yaml", kubeconfigFor("https://flag:6443"));
    dir.write("env.yaml", kubeconfigFor("https://env:6443"));
    dir.write("home/.kube/config", kubeconfigFor("https://home:6443"));
    dir.write("sa/ca.crt", "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n");
    dir.write("sa/token", "sa-token");
    vars = {{"HOME", dir.file("home")},
            {"KUBECONFIG", dir.file("missing.yaml") + ":" + dir.file("env.yaml")},
            {"KUBERNETES_SERVICE_HOST", "10.0.0.1"},
            {"KUBERNETES_SERVICE_PORT", "443"}};
  }

  Result<ClusterConfig> load(const std::string& flag) {
    ConfigSources s;
    s.kubeconfigFlag = flag;
    s.env = [this](const std::string& n) -> std::optional<std::string> {
      auto it = vars.find(n);
      if (it == vars.end()) return std::nullopt;
      return it->second;
    };
    s.serviceAccountRoot = dir.file("sa");
    s.clock = &clock;
    return loadConfig(s);
  }

  std::string server(const std::string& flag = "") {
    auto c = load(flag);
    EXPECT_TRUE(c.ok()) << c.error().message;
    return c.ok() ? c->server : "";
  }
};

TEST_F(LoadConfigTest, PrecedenceFlagEnvInClusterHome) {
  EXPECT_EQ(server(dir.file("flag.yaml")), "https://flag:6443");
  EXPECT_EQ(server(), "https://env:6443");  // the first existing file of $KUBECONFIG
  vars.erase("KUBECONFIG");
  EXPECT_EQ(server(), "https://10.0.0.1:443");
  vars.erase("KUBERNETES_SERVICE_HOST");
  EXPECT_EQ(server(), "https://home:6443");
}

TEST_F(LoadConfigTest, KubeconfigWithNoExistingFileFallsThrough) {
  vars["KUBECONFIG"] = dir.file("none1") + ":" + dir.file("none2");
  EXPECT_EQ(server(), "https://10.0.0.1:443");
}

TEST_F(LoadConfigTest, FlagFileMustExist) {
  auto c = load(dir.file("absent.yaml"));
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.error().message, HasSubstr(dir.file("absent.yaml")));
}

TEST_F(LoadConfigTest, NothingFoundListsWhatWasTried) {
  vars.erase("KUBECONFIG");
  vars.erase("KUBERNETES_SERVICE_HOST");
  vars["HOME"] = dir.file("nohome");
  auto c = load("");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.error().message, AllOf(HasSubstr("KUBECONFIG"), HasSubstr("in-cluster"),
                                       HasSubstr(dir.file("nohome") + "/.kube/config")));
}

}  // namespace
}  // namespace lg::kube
