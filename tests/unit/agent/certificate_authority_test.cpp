#include "controllers/agent/certificate_authority.h"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "controllers/agent/certificate_request.h"
#include "controllers/agent/serving_certificate.h"
#include "tests/unit/agent/cgroup_fixture.h"

namespace lg::agent {
namespace {

using namespace std::chrono_literals;
using std::chrono::system_clock;

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
std::unique_ptr<X509, X509Free> parse(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* x = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return std::unique_ptr<X509, X509Free>(x);
}

class CertificateAuthorityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto root = generateSelfSignedCertificate({"leakguard-agent-ca"}, {}, 24h * 3650);
    ASSERT_TRUE(root.ok());
    root_ = *root;
    auto ca = CertificateAuthority::fromPem(root_.certPem, root_.keyPem);
    ASSERT_TRUE(ca.ok()) << ca.error().message;
    ca_ = std::make_unique<CertificateAuthority>(std::move(*ca));
  }
  ServingCertificate root_;
  std::unique_ptr<CertificateAuthority> ca_;
};

TEST(CertificateRequest, NamesTheNodeOnlyAndVerifies) {
  EXPECT_EQ(agentCertificateName("worker-1.example"), "worker-1.example.leakguard-agent");
  auto req = makeCertificateRequest("node-1.leakguard-agent");
  ASSERT_TRUE(req.ok()) << req.error().message;
  EXPECT_NE(req->requestPem.find("BEGIN CERTIFICATE REQUEST"), std::string::npos);
  EXPECT_NE(req->keyPem.find("PRIVATE KEY"), std::string::npos);
  auto names = inspectCertificateRequest(req->requestPem);
  ASSERT_TRUE(names.ok()) << names.error().message;
  EXPECT_EQ(names->commonName, "node-1.leakguard-agent");
  EXPECT_EQ(names->dnsNames, std::vector<std::string>{"node-1.leakguard-agent"});
  EXPECT_TRUE(names->otherNames.empty());
  EXPECT_FALSE(names->extensionsOtherThanNames);
  EXPECT_FALSE(makeCertificateRequest("").ok());
  EXPECT_FALSE(makeCertificateRequest("a,DNS:b").ok());
  EXPECT_FALSE(inspectCertificateRequest("junk").ok());
  // A request whose body was changed after signing does not verify.
  std::string tampered = req->requestPem;
  tampered[tampered.size() / 2] = tampered[tampered.size() / 2] == 'A' ? 'B' : 'A';
  EXPECT_FALSE(inspectCertificateRequest(tampered).ok());
}

TEST_F(CertificateAuthorityTest, SignsALeafForTheNameGivenThatChainsToTheCa) {
  auto req = makeCertificateRequest("node-1.leakguard-agent");
  ASSERT_TRUE(req.ok());
  const auto now = system_clock::now();
  // The name signed is the signer's, whatever the request said.
  auto pem = ca_->sign(req->requestPem, "node-1.leakguard-agent", now, 6h);
  ASSERT_TRUE(pem.ok()) << pem.error().message;
  auto v = certificateValidity(*pem);
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(v->dnsNames, std::vector<std::string>{"node-1.leakguard-agent"});
  EXPECT_LE(v->notBefore, now - 4min);
  EXPECT_GE(v->notBefore, now - 6min);
  EXPECT_LE(v->notAfter, now + 6h + 1s);
  EXPECT_GE(v->notAfter, now + 6h - 2s);

  auto leaf = parse(*pem), root = parse(root_.certPem);
  ASSERT_TRUE(leaf && root);
  EXPECT_EQ(X509_verify(leaf.get(), X509_get0_pubkey(root.get())), 1);
  EXPECT_EQ(X509_check_ca(leaf.get()), 0);  // a leaf: it cannot sign in turn
  EXPECT_TRUE(X509_get_extended_key_usage(leaf.get()) & XKU_SSL_SERVER);
  EXPECT_FALSE(X509_get_extended_key_usage(leaf.get()) & XKU_SSL_CLIENT);
  // The key is the requester's: the issued certificate goes with the agent's key.
  testing::TempDir dir;
  auto loaded = loadServingCertificate(dir.write("c.crt", *pem), dir.write("c.key", req->keyPem));
  EXPECT_TRUE(loaded.ok()) << loaded.error().message;
}

TEST_F(CertificateAuthorityTest, NeverPastTheCasOwnEnd) {
  auto shortRoot = generateSelfSignedCertificate({"short-ca"}, {}, 2h);
  ASSERT_TRUE(shortRoot.ok());
  auto ca = CertificateAuthority::fromPem(shortRoot->certPem, shortRoot->keyPem);
  ASSERT_TRUE(ca.ok());
  auto req = makeCertificateRequest("n.leakguard-agent");
  const auto now = system_clock::now();
  auto pem = ca->sign(req->requestPem, "n.leakguard-agent", now, 24h);
  ASSERT_TRUE(pem.ok());
  auto v = certificateValidity(*pem);
  ASSERT_TRUE(v.ok());
  EXPECT_LE(v->notAfter, now + 2h + 1s);  // the CA's end, not the 24h asked for
  EXPECT_GE(v->notAfter, now + 2h - 5s);
  // Past the CA's end nothing is signed.
  auto late = ca->sign(req->requestPem, "n.leakguard-agent", now + 3h, 1h);
  ASSERT_FALSE(late.ok());
  EXPECT_NE(late.error().message.find("expired"), std::string::npos);
}

TEST_F(CertificateAuthorityTest, RefusesBadInput) {
  auto req = makeCertificateRequest("n.leakguard-agent");
  const auto now = system_clock::now();
  EXPECT_FALSE(ca_->sign("junk", "n.leakguard-agent", now, 1h).ok());
  EXPECT_FALSE(ca_->sign(req->requestPem, "", now, 1h).ok());
  EXPECT_FALSE(ca_->sign(req->requestPem, "n.leakguard-agent", now, 0s).ok());
  // A CA whose key is another's, and a leaf posing as a CA.
  auto other = generateSelfSignedCertificate({"other"}, {});
  auto mismatch = CertificateAuthority::fromPem(root_.certPem, other->keyPem);
  ASSERT_FALSE(mismatch.ok());
  EXPECT_NE(mismatch.error().message.find("does not match"), std::string::npos);
  auto leaf = ca_->sign(req->requestPem, "n.leakguard-agent", now, 1h);
  ASSERT_TRUE(leaf.ok());
  auto notCa = CertificateAuthority::fromPem(*leaf, req->keyPem);
  ASSERT_FALSE(notCa.ok());
  EXPECT_NE(notCa.error().message.find("CA:TRUE"), std::string::npos);
  auto missing = CertificateAuthority::load("/nonexistent/ca.crt", "/nonexistent/ca.key");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("/nonexistent/ca.crt"), std::string::npos);
  EXPECT_FALSE(certificateValidity("not a certificate").ok());
}

}  // namespace
}  // namespace lg::agent
