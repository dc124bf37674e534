#include "controllers/agent/certificate_rotator.h"

#include <gtest/gtest.h>

#include <future>

#include "operator/kube/base64.h"
#include "tests/fakes/fake_api_client.h"

namespace lg::agent {
namespace {

using namespace std::chrono_literals;

const kube::ResourceRef kCsrs{
    .group = "certificates.k8s.io", .version = "v1", .resource = "certificatesigningrequests"};

class CertificateRotatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto root = generateSelfSignedCertificate({"ca"}, {}, 24h);
    ASSERT_TRUE(root.ok());
    auto ca = CertificateAuthority::fromPem(root->certPem, root->keyPem);
    ASSERT_TRUE(ca.ok());
    ca_ = std::make_unique<CertificateAuthority>(std::move(*ca));
  }

  CertificateRotatorOptions options() {
    return {.node = "node-1", .lifetime = 2h, .pollEvery = 10ms, .waitForIssue = 10s};
  }

  // Waits for the n-th CSR and answers it as a signer would: `edit` changes the stored object.
  void answer(std::size_t n, const std::function<void(nlohmann::json&)>& edit) {
    ASSERT_TRUE(api_.waitForCalls("create", n));
    std::optional<nlohmann::json> obj;
    for (int i = 0; i < 500 && !obj; ++i) {
      std::size_t creates = 0;
      for (const auto& c : api_.calls()) {
        creates += c.verb == "create";
        if (creates == n && c.verb == "get") {
          obj = api_.object(kCsrs, "", c.ref.name);
          break;
        }
      }
      if (!obj) std::this_thread::sleep_for(10ms);
    }
    ASSERT_TRUE(obj) << "the rotator never polled its CSR";
    edit(*obj);
    api_.put(kCsrs, *obj);
  }

  void sign(nlohmann::json& csr, const std::string& name) {
    auto pem = kube::base64Decode(csr["spec"]["request"].get<std::string>());
    ASSERT_TRUE(pem.ok());
    auto cert = ca_->sign(*pem, name, std::chrono::system_clock::now(), 2h);
    ASSERT_TRUE(cert.ok()) << cert.error().message;
    csr["status"]["certificate"] = kube::base64Encode(*cert);
  }

  testing::FakeApiClient api_;
  std::unique_ptr<CertificateAuthority> ca_;
};

TEST_F(CertificateRotatorTest, AsksForTheNodesNameAndReturnsTheIssuedCertificate) {
  CertificateRotator r(api_, SystemClock::instance(), options());
  auto got = std::async(std::launch::async, [&] { return r.requestOnce(); });
  answer(1, [&](nlohmann::json& csr) { sign(csr, "node-1.leakguard-agent"); });
  auto cert = got.get();
  ASSERT_TRUE(cert.ok()) << cert.error().message;
  auto v = certificateValidity(cert->certPem);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->dnsNames, std::vector<std::string>{"node-1.leakguard-agent"});

  const auto create = api_.calls().front();
  ASSERT_EQ(create.verb, "create");
  const auto& spec = create.body["spec"];
  EXPECT_EQ(spec["signerName"], "leakguard.io/agent-serving");
  EXPECT_EQ(spec["expirationSeconds"], 7200);
  EXPECT_EQ(spec["usages"], nlohmann::json({"digital signature", "server auth"}));
  EXPECT_EQ(create.body["metadata"]["generateName"], "leakguard-agent-node-1-");
  auto req = kube::base64Decode(spec["request"].get<std::string>());
  ASSERT_TRUE(req.ok());
  auto names = inspectCertificateRequest(*req);
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(names->dnsNames, std::vector<std::string>{"node-1.leakguard-agent"});
  // The private key never went to the API server.
  EXPECT_EQ(create.body.dump().find("PRIVATE KEY"), std::string::npos);
}

TEST_F(CertificateRotatorTest, ADeniedRequestOrAnotherNodesCertificateIsAnError) {
  CertificateRotator r(api_, SystemClock::instance(), options());
  auto denied = std::async(std::launch::async, [&] { return r.requestOnce(); });
  answer(1, [](nlohmann::json& csr) {
    csr["status"]["conditions"] = {{{"type", "Denied"},
                                    {"status", "True"},
                                    {"reason", "NotALeakGuardAgentOfThisNode"},
                                    {"message", "nope"}}};
  });
  auto d = denied.get();
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.error().message.find("Denied: NotALeakGuardAgentOfThisNode nope"), std::string::npos);

  auto wrong = std::async(std::launch::async, [&] { return r.requestOnce(); });
  answer(2, [&](nlohmann::json& csr) { sign(csr, "node-2.leakguard-agent"); });
  auto w = wrong.get();
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.error().message.find("does not name node-1.leakguard-agent"), std::string::npos);
}

TEST_F(CertificateRotatorTest, NotIssuedInTimeSaysWhatToCheck) {
  auto o = options();
  o.waitForIssue = 0s;
  CertificateRotator r(api_, SystemClock::instance(), o);
  auto e = r.requestOnce();
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().message.find("not issued within 0s"), std::string::npos);
  api_.fail("create", Error{"forbidden", 403});
  auto f = r.requestOnce();
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().code, 403);
}

TEST_F(CertificateRotatorTest, InstallsEachCertificateAndRenewsAtTwoThirds) {
  const auto t0 = std::chrono::system_clock::time_point(std::chrono::seconds(1'000'000));
  EXPECT_EQ(CertificateRotator::renewAt({t0, t0 + 3h, {}}), t0 + 2h);

  std::mutex mu;
  std::vector<std::string> installed;
  auto o = options();
  o.install = [&](const ServingCertificate& c) {
    std::lock_guard g(mu);
    installed.push_back(c.certPem);
    return okStatus();
  };
  CertificateRotator r(api_, SystemClock::instance(), o);
  EXPECT_FALSE(r.hasCertificate());
  r.start();
  answer(1, [&](nlohmann::json& csr) { sign(csr, "node-1.leakguard-agent"); });
  for (int i = 0; i < 500 && !r.hasCertificate(); ++i)
    std::this_thread::sleep_for(10ms);
  EXPECT_TRUE(r.hasCertificate());
  r.stop();  // prompt: it was waiting for the renewal, more than an hour away
  std::lock_guard g(mu);
  ASSERT_EQ(installed.size(), 1u);
  EXPECT_EQ(api_.callCount("create"), 1u);
}

}  // namespace
}  // namespace lg::agent
