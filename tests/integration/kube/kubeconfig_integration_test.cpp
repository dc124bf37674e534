// Credentials from kubeconfigs against the real API server: a service account token obtained
// through the TokenRequest API, handed over by an exec credential plugin and by a tokenFile;
// the server tells who it thinks we are (SelfSubjectReview).

#include "operator/kube/base64.h"
#include "operator/kube/kubeconfig.h"
#include "tests/fakes/kube/temp_dir.h"
#include "tests/integration/kube/cluster_fixture.h"

namespace lg::kube::integration {
namespace {

using ::testing::HasSubstr;

const ResourceRef kSelfSubjectReviews{.group = "authentication.k8s.io",
                                      .version = "v1",
                                      .resource = "selfsubjectreviews",
                                      .ns = "",
                                      .name = "",
                                      .subresource = ""};

class KubeconfigIntegrationTest : public ClusterTest {
 protected:
  // A fresh ServiceAccount in the test namespace and a 10-minute token for it.
  std::string serviceAccountToken() {
    auto sa = api->create(
        core("serviceaccounts", ns),
        {{"apiVersion", "v1"}, {"kind", "ServiceAccount"}, {"metadata", {{"name", "lg-it"}}}});
    EXPECT_TRUE(sa.ok()) << sa.error().message;
    auto tr = api->create(core("serviceaccounts", ns, "lg-it", "token"),
                          {{"apiVersion", "authentication.k8s.io/v1"},
                           {"kind", "TokenRequest"},
                           {"spec", {{"expirationSeconds", 600}}}});
    EXPECT_TRUE(tr.ok()) << tr.error().message;
    return tr.ok() ? (*tr)["status"]["token"].get<std::string>() : "";
  }

  std::string kubeconfigWithUser(const std::string& user) const {
    return "apiVersion: v1\nkind: Config\nclusters:\n- name: e2e\n  cluster:\n    server: " +
           config.server + "\n    certificate-authority-data: " + base64Encode(config.caData) +
           "\nusers:\n- name: sa\n  user: " + user +
           "\ncontexts:\n- name: sa@e2e\n  context: {cluster: e2e, user: sa}\n"
           "current-context: sa@e2e\n";
  }

  std::string whoAmI(const ClusterConfig& c) {
    auto client = HttpApiClient::create(c);
    EXPECT_TRUE(client.ok()) << client.error().message;
    if (!client.ok()) return "";
    auto review = (*client)->create(
        kSelfSubjectReviews,
        {{"apiVersion", "authentication.k8s.io/v1"}, {"kind", "SelfSubjectReview"}});
    EXPECT_TRUE(review.ok()) << review.error().message;
    return review.ok() ? (*review)["status"]["userInfo"]["username"].get<std::string>() : "";
  }

  testing::TempDir dir;
};

TEST_F(KubeconfigIntegrationTest, AdminKubeconfigThroughLoadConfig) {
  ConfigSources sources;
  sources.env = [this](const std::string& name) -> std::optional<std::string> {
    if (name == "KUBECONFIG") return "/nonexistent/config:" + kubeconfigPath;
    return std::nullopt;
  };
  auto c = loadConfig(sources);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->server, config.server);
  EXPECT_THAT(whoAmI(*c), HasSubstr("admin"));
}

TEST_F(KubeconfigIntegrationTest, ExecPluginToken) {
  const std::string token = serviceAccountToken();
  ASSERT_FALSE(token.empty());
  dir.write("token.secret", token);
  dir.write(
      "plugin.sh",
      "#!/bin/sh\n"
      "printf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
      "\"status\":{\"token\":\"%s\"}}' \"$(cat \"$(dirname \"$0\")/token.secret\")\"\n",
      /*executable=*/true);
  const std::string path = dir.write(
      "config", kubeconfigWithUser("{exec: {apiVersion: client.authentication.k8s.io/v1, command: "
                                   "./plugin.sh, interactiveMode: Never}}"));
  auto c = loadKubeconfig(path);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(whoAmI(*c), "system:serviceaccount:" + ns + ":lg-it");

  // The service account may not list pods: a 403 is a value with the server's reason.
  auto client = HttpApiClient::create(*c);
  ASSERT_TRUE(client.ok());
  auto pods = (*client)->list(core("pods", ns), {});
  ASSERT_FALSE(pods.ok());
  EXPECT_EQ(pods.error().code, 403);
  EXPECT_THAT(pods.error().message, HasSubstr("cannot list resource \"pods\""));
}

TEST_F(KubeconfigIntegrationTest, TokenFile) {
  const std::string token = serviceAccountToken();
  ASSERT_FALSE(token.empty());
  dir.write("sa.token", token + "\n");
  auto c = loadKubeconfig(dir.write("config", kubeconfigWithUser("{tokenFile: sa.token}")));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(whoAmI(*c), "system:serviceaccount:" + ns + ":lg-it");
}

}  // namespace
}  // namespace lg::kube::integration
