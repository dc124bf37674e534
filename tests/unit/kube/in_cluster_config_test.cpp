#include "operator/kube/in_cluster_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "tests/fakes/fake_clock.h"
#include "tests/fakes/kube/temp_dir.h"

namespace lg::kube {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

const std::string kCa = "-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n";

EnvLookup envOf(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

class InClusterConfigTest : public ::testing::Test {
 protected:
  testing::TempDir root;
  lg::testing::FakeClock clock;
  EnvLookup env =
      envOf({{"KUBERNETES_SERVICE_HOST", "198.19.0.1"}, {"KUBERNETES_SERVICE_PORT", "443"}});

  void SetUp() override {
    root.write("ca.crt", kCa);
    root.write("token", "token-1\n");
    root.write("namespace", "leakguard-system");
  }
};

TEST_F(InClusterConfigTest, ReadsServiceAccount) {
  auto c = loadInClusterConfig(root.path(), env, clock);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->server, "https://198.19.0.1:443");
  EXPECT_EQ(c->caData, kCa);
  EXPECT_EQ(c->ns, "leakguard-system");
  ASSERT_TRUE(c->tokenSource);
  EXPECT_EQ(*c->tokenSource(), "token-1");
  EXPECT_TRUE(c->clientCertData.empty());
}

TEST_F(InClusterConfigTest, Ipv6HostInBrackets) {
  auto c = loadInClusterConfig(
      root.path(),
      envOf({{"KUBERNETES_SERVICE_HOST", "fd00:10:96::1"}, {"KUBERNETES_SERVICE_PORT", "443"}}),
      clock);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->server, "https://[fd00:10:96::1]:443");
}

TEST_F(InClusterConfigTest, TokenRotationIsPickedUp) {
  auto c = loadInClusterConfig(root.path(), env, clock);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(*c->tokenSource(), "token-1");
  // kubelet swaps the projected volume's ..data symlink; any change of the file is seen at once.
  root.write("token", "token-2-longer\n");
  EXPECT_EQ(*c->tokenSource(), "token-2-longer");
}

TEST_F(InClusterConfigTest, KubeletStyleSymlinkSwap) {
  testing::TempDir vol;
  vol.write("..2026_11_25_a/token", "old");
  vol.write("..2026_11_25_a/ca.crt", kCa);
  std::filesystem::create_directory_symlink(vol.file("..2026_11_25_a"), vol.file("..data"));
  std::filesystem::create_symlink("..data/token", vol.file("token"));
  std::filesystem::create_symlink("..data/ca.crt", vol.file("ca.crt"));
  auto c = loadInClusterConfig(vol.path(), env, clock);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(*c->tokenSource(), "old");
  vol.write("..2026_11_25_b/token", "new");
  std::filesystem::create_directory_symlink(vol.file("..2026_11_25_b"), vol.file("..data_tmp"));
  std::filesystem::rename(vol.file("..data_tmp"), vol.file("..data"));
  std::filesystem::remove_all(vol.file("..2026_11_25_a"));
  EXPECT_EQ(*c->tokenSource(), "new");
  EXPECT_EQ(c->ns, "");  // no namespace file: unspecified
}

TEST_F(InClusterConfigTest, MissingPiecesAreNamed) {
  auto noEnv = loadInClusterConfig(root.path(), envOf({}), clock);
  ASSERT_FALSE(noEnv.ok());
  EXPECT_THAT(noEnv.error().message, HasSubstr("KUBERNETES_SERVICE_HOST"));

  auto badPort = loadInClusterConfig(
      root.path(), envOf({{"KUBERNETES_SERVICE_HOST", "h"}, {"KUBERNETES_SERVICE_PORT", "https"}}),
      clock);
  ASSERT_FALSE(badPort.ok());
  EXPECT_THAT(badPort.error().message, HasSubstr("\"https\" is not a port"));

  std::filesystem::remove(root.file("token"));
  auto noToken = loadInClusterConfig(root.path(), env, clock);
  ASSERT_FALSE(noToken.ok());
  EXPECT_THAT(noToken.error().message, HasSubstr(root.file("token")));

  std::filesystem::remove(root.file("ca.crt"));
  auto noCa = loadInClusterConfig(root.path(), env, clock);
  ASSERT_FALSE(noCa.ok());
  EXPECT_THAT(noCa.error().message, HasSubstr(root.file("ca.crt")));
}

}  // namespace
}  // namespace lg::kube
