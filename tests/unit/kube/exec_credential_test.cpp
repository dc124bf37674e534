#include "operator/kube/exec_credential.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "operator/kube/rfc3339.h"

namespace lg::kube {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kV1 = "client.authentication.k8s.io/v1";

TEST(ParseExecCredentialTest, TokenWithExpiry) {
  auto c = parseExecCredential(
      R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",
          "status":{"token":"abc","expirationTimestamp":"2026-11-25T18:00:00Z"}})",
      kV1);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->token, "abc");
  ASSERT_TRUE(c->expiry.has_value());
  EXPECT_EQ(formatRfc3339(*c->expiry), "2026-11-25T18:00:00Z");
}

TEST(ParseExecCredentialTest, CertificateWithoutExpiry) {
  auto c = parseExecCredential(
      R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",
          "status":{"clientCertificateData":"CERT","clientKeyData":"KEY"}})",
      kV1);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->clientCertificateData, "CERT");
  EXPECT_FALSE(c->expiry.has_value());
}

TEST(ParseExecCredentialTest, RejectionsNeverQuoteTheOutput) {
  const char* bad[] = {
      "token=SECRET",
      R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"Other","status":{"token":"SECRET"}})",
      R"({"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"SECRET"}})",
      R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential"})",
      R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{}})",
      R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"SECRET","clientKeyData":"K"}})",
      R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"SECRET","expirationTimestamp":"tomorrow"}})",
  };
  for (const char* out : bad) {
    auto c = parseExecCredential(out, kV1);
    ASSERT_FALSE(c.ok()) << out;
    EXPECT_THAT(c.error().message, Not(HasSubstr("SECRET"))) << out;
  }
}

}  // namespace
}  // namespace lg::kube
