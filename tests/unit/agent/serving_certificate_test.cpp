#include "controllers/agent/serving_certificate.h"

#include <gtest/gtest.h>

#include "tests/unit/agent/cgroup_fixture.h"

namespace lg::agent {
namespace {

TEST(ServingCertificate, GeneratesAndFingerprints) {
  auto cert = generateSelfSignedCertificate({"leakguard-agent", "node-1"}, {"10.0.0.7", "bad-ip"});
  ASSERT_TRUE(cert.ok()) << cert.error().message;
  EXPECT_NE(cert->certPem.find("BEGIN CERTIFICATE"), std::string::npos);
  EXPECT_NE(cert->keyPem.find("PRIVATE KEY"), std::string::npos);
  auto fp = certificateFingerprint(cert->certPem);
  ASSERT_TRUE(fp.ok());
  EXPECT_EQ(fp->size(), 32u * 3 - 1);  // "AB:CD:..."
  auto other = generateSelfSignedCertificate({}, {});
  ASSERT_TRUE(other.ok());
  EXPECT_NE(*certificateFingerprint(other->certPem), *fp);
  EXPECT_FALSE(certificateFingerprint("not a pem").ok());
}

TEST(ServingCertificate, LoadsFilesAndChecksTheKey) {
  testing::TempDir dir;
  auto a = generateSelfSignedCertificate({"a"}, {});
  auto b = generateSelfSignedCertificate({"b"}, {});
  ASSERT_TRUE(a.ok() && b.ok());
  const auto certA = dir.write("a.crt", a->certPem);
  const auto keyA = dir.write("a.key", a->keyPem);
  const auto keyB = dir.write("b.key", b->keyPem);
  auto loaded = loadServingCertificate(certA, keyA);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded->certPem, a->certPem);
  auto mismatch = loadServingCertificate(certA, keyB);
  ASSERT_FALSE(mismatch.ok());
  EXPECT_NE(mismatch.error().message.find("does not match"), std::string::npos);
  auto missing = loadServingCertificate(dir.file("none.crt"), keyA);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("none.crt"), std::string::npos);
  EXPECT_FALSE(loadServingCertificate(keyA, keyA).ok());  // no certificate in it
}

}  // namespace
}  // namespace lg::agent
