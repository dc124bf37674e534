#include "operator/kube/server_url.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace lg::kube {
namespace {

using ::testing::HasSubstr;

TEST(ServerUrlTest, HttpsWithIpAndPort) {
  auto u = parseServerUrl("https://198.18.255.1:6443");
  ASSERT_TRUE(u.ok());
  EXPECT_TRUE(u->tls);
  EXPECT_EQ(u->host, "198.18.255.1");
  EXPECT_EQ(u->port, "6443");
  EXPECT_EQ(u->basePath, "");
  EXPECT_EQ(u->hostHeader, "198.18.255.1:6443");
  EXPECT_TRUE(u->hostIsIp);
}

TEST(ServerUrlTest, NameDefaultPortAndPrefix) {
  auto u = parseServerUrl("https://rancher.example/k8s/clusters/c-1/");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "rancher.example");
  EXPECT_EQ(u->port, "443");
  EXPECT_EQ(u->basePath, "/k8s/clusters/c-1");
  EXPECT_FALSE(u->hostIsIp);
}

TEST(ServerUrlTest, Ipv6InBrackets) {
  auto u = parseServerUrl("https://[fd00::1]:443");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "fd00::1");
  EXPECT_EQ(u->port, "443");
  EXPECT_EQ(u->hostHeader, "[fd00::1]:443");
  EXPECT_TRUE(u->hostIsIp);
}

TEST(ServerUrlTest, NoSchemeMeansHttpsAndHttpIsForTests) {
  auto bare = parseServerUrl("10.0.0.1:6443");
  ASSERT_TRUE(bare.ok());
  EXPECT_TRUE(bare->tls);
  auto plain = parseServerUrl("http://127.0.0.1");
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->tls);
  EXPECT_EQ(plain->port, "80");
}

TEST(ServerUrlTest, ErrorsNameTheUrl) {
  for (const char* bad : {"ftp://x", "https://", "https://a:b", "https://a:99999", "https://[::1",
                          "https://fd00::1:443", "https://u@host", "https://h/p?q=1"}) {
    auto u = parseServerUrl(bad);
    ASSERT_FALSE(u.ok()) << bad;
    EXPECT_THAT(u.error().message, HasSubstr(std::string("\"") + bad + "\""));
  }
}

TEST(QueryTest, EncodesSelectorsAndKeepsOrder) {
  EXPECT_EQ(percentEncode("app in (a,b),tier!=db"), "app%20in%20%28a%2Cb%29%2Ctier%21%3Ddb");
  EXPECT_EQ(percentEncode("A-z_0.9~"), "A-z_0.9~");
  EXPECT_EQ(buildQuery({}), "");
  EXPECT_EQ(buildQuery({{"watch", "1"}, {"labelSelector", "a=b"}}), "?watch=1&labelSelector=a%3Db");
}

}  // namespace
}  // namespace lg::kube
