#include "controllers/reconcile/agent_certificate_signer.h"

#include <gtest/gtest.h>

#include "controllers/agent/certificate_request.h"
#include "controllers/agent/serving_certificate.h"
#include "operator/kube/base64.h"
#include "tests/fakes/fake_api_client.h"
#include "tests/fakes/fake_clock.h"

namespace lg::reconcile {
namespace {

using namespace std::chrono_literals;
using Kind = CsrVerdict::Kind;

constexpr const char* kAgent = "system:serviceaccount:leakguard-system:leakguard-agent";
const kube::ResourceRef kCsrs{
    .group = "certificates.k8s.io", .version = "v1", .resource = "certificatesigningrequests"};

// A CSR as the API server stores one the agent of `node` created (its token bound to a pod
// there). `dnsName`: what the request names.
nlohmann::json csrJson(const std::string& name, const std::string& node, const std::string& dnsName,
                       const std::string& user = kAgent) {
  auto req = agent::makeCertificateRequest(dnsName);
  EXPECT_TRUE(req.ok());
  return {{"apiVersion", "certificates.k8s.io/v1"},
          {"kind", "CertificateSigningRequest"},
          {"metadata", {{"name", name}}},
          {"spec",
           {{"request", kube::base64Encode(req->requestPem)},
            {"signerName", "leakguard.io/agent-serving"},
            {"username", user},
            {"expirationSeconds", 3600},
            {"usages", {"digital signature", "server auth"}},
            {"extra",
             {{"authentication.kubernetes.io/node-name", {node}},
              {"authentication.kubernetes.io/pod-name", {"leakguard-agent-abcde"}}}}}}};
}

CsrObject project(const nlohmann::json& j) {
  auto c = projectCsr(j);
  EXPECT_TRUE(c);
  return c ? *c : CsrObject{};
}

const AgentCertificateRules kRules{.agentUser = kAgent, .maxLifetime = 24h};

TEST(AgentCertificateSignerReview, TheAgentOfTheNodeNamedIsApproved) {
  auto v = AgentCertificateSigner::review(project(csrJson("a", "node-1", "node-1.leakguard-agent")),
                                          kRules);
  EXPECT_EQ(v.kind, Kind::kApprove) << v.reason;
  EXPECT_EQ(v.node, "node-1");
  EXPECT_EQ(v.lifetime, 1h);  // what it asked for, under the most
  auto j = csrJson("a", "node-1", "node-1.leakguard-agent");
  j["spec"].erase("expirationSeconds");
  EXPECT_EQ(AgentCertificateSigner::review(project(j), kRules).lifetime, 24h);
  j["spec"]["expirationSeconds"] = 10 * 24 * 3600;
  EXPECT_EQ(AgentCertificateSigner::review(project(j), kRules).lifetime, 24h);
}

TEST(AgentCertificateSignerReview, AnythingElseIsDeniedSayingWhy) {
  auto reason = [](const nlohmann::json& j) {
    auto v = AgentCertificateSigner::review(project(j), kRules);
    EXPECT_EQ(v.kind, Kind::kDeny);
    return v.reason;
  };
  // Another node's name: the heart of it (an agent speaks for its own node only).
  EXPECT_NE(reason(csrJson("a", "node-1", "node-2.leakguard-agent"))
                .find("must name exactly node-1.leakguard-agent"),
            std::string::npos);
  // Someone else (a tenant, an admin, another install's agents): never signed, left alone
  // (denying would let two installs deny each other's agents).
  EXPECT_EQ(AgentCertificateSigner::review(
                project(csrJson("a", "node-1", "node-1.leakguard-agent",
                                "system:serviceaccount:other-install:leakguard-agent")),
                kRules)
                .kind,
            Kind::kNothing);
  // A token not bound to a pod: no node recorded.
  auto unbound = csrJson("a", "node-1", "node-1.leakguard-agent");
  unbound["spec"]["extra"].erase("authentication.kubernetes.io/node-name");
  EXPECT_NE(reason(unbound).find("not bound to a pod on a node"), std::string::npos);
  auto usages = csrJson("a", "node-1", "node-1.leakguard-agent");
  usages["spec"]["usages"] = {"digital signature", "server auth", "client auth"};
  EXPECT_NE(reason(usages).find("\"client auth\""), std::string::npos);
  usages["spec"]["usages"] = {"digital signature"};
  EXPECT_NE(reason(usages).find("\"server auth\" is missing"), std::string::npos);
  auto junk = csrJson("a", "node-1", "node-1.leakguard-agent");
  junk["spec"]["request"] = kube::base64Encode("not a request");
  EXPECT_NE(reason(junk).find("spec.request"), std::string::npos);
  junk["spec"]["request"] = "%%%";
  EXPECT_NE(reason(junk).find("spec.request"), std::string::npos);
}

TEST(AgentCertificateSignerReview, OtherSignersAndFinishedRequestsAreLeftAlone) {
  auto other = csrJson("a", "node-1", "node-1.leakguard-agent");
  other["spec"]["signerName"] = "kubernetes.io/kubelet-serving";
  EXPECT_EQ(AgentCertificateSigner::review(project(other), kRules).kind, Kind::kNothing);
  auto issued = csrJson("a", "node-1", "node-1.leakguard-agent");
  issued["status"]["certificate"] = "Zm9v";
  EXPECT_EQ(AgentCertificateSigner::review(project(issued), kRules).kind, Kind::kNothing);
  auto denied = csrJson("a", "node-1", "node-1.leakguard-agent");
  denied["status"]["conditions"] = {{{"type", "Denied"}, {"status", "True"}}};
  EXPECT_EQ(AgentCertificateSigner::review(project(denied), kRules).kind, Kind::kNothing);
  // Approved by someone else: still reviewed before it is signed.
  auto approved = csrJson("a", "node-1", "node-2.leakguard-agent");
  approved["status"]["conditions"] = {{{"type", "Approved"}, {"status", "True"}}};
  EXPECT_TRUE(project(approved).approved);
  EXPECT_EQ(AgentCertificateSigner::review(project(approved), kRules).kind, Kind::kDeny);
  EXPECT_FALSE(projectCsr(nlohmann::json::array()));
  EXPECT_FALSE(projectCsr({{"metadata", 5}}));
  auto odd = projectCsr({{"metadata", {{"name", "x"}}}, {"spec", {{"extra", 7}}}, {"status", 1}});
  ASSERT_TRUE(odd);
  EXPECT_EQ(AgentCertificateSigner::review(*odd, kRules).kind, Kind::kNothing);
  // Mistyped conditions and certificate (what the agent also reads while it waits): no throw.
  auto mistyped =
      projectCsr({{"metadata", {{"name", "x"}}},
                  {"status",
                   {{"certificate", 5},
                    {"conditions", {7, {{"type", "Denied"}, {"status", 1}, {"reason", 2}}}}}}});
  ASSERT_TRUE(mistyped);
  EXPECT_FALSE(mistyped->issued);
  EXPECT_TRUE(mistyped->denied);
  EXPECT_EQ(mistyped->refusal, "Denied:  ");
}

class AgentCertificateSignerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto root = agent::generateSelfSignedCertificate({"leakguard-agent-ca"}, {}, 24h * 365);
    ASSERT_TRUE(root.ok());
    auto ca = agent::CertificateAuthority::fromPem(root->certPem, root->keyPem);
    ASSERT_TRUE(ca.ok());
    ca_ = std::make_unique<agent::CertificateAuthority>(std::move(*ca));
    signer_ = std::make_unique<AgentCertificateSigner>(
        AgentCertificateSignerDeps{.api = &api_,
                                   .clock = &clock_,
                                   .csrs = &csrs_,
                                   .ca = ca_.get(),
                                   .rules = kRules,
                                   .count = [this](const std::string& o) { ++outcomes_[o]; }});
  }

  // As the informer would: stored in the API and the cache.
  void add(const nlohmann::json& j) {
    auto stored = api_.put(kCsrs, j);
    csrs_.upsert(j["metadata"]["name"].get<std::string>(),
                 std::make_shared<const CsrObject>(project(stored)),
                 stored["metadata"]["resourceVersion"].get<std::string>());
  }

  lg::testing::FakeApiClient api_;
  lg::testing::FakeClock clock_;
  runtime::Store<CsrObject> csrs_;
  std::unique_ptr<agent::CertificateAuthority> ca_;
  std::unique_ptr<AgentCertificateSigner> signer_;
  std::map<std::string, int> outcomes_;
};

TEST_F(AgentCertificateSignerTest, ApprovesThenSignsThroughTheSubresources) {
  add(csrJson("leakguard-agent-node-1-x", "node-1", "node-1.leakguard-agent"));
  ASSERT_TRUE(signer_->reconcile("leakguard-agent-node-1-x").ok());
  std::vector<std::string> writes;
  for (const auto& c : api_.calls())
    if (c.verb == "replace") writes.push_back(c.ref.subresource);
  EXPECT_EQ(writes, (std::vector<std::string>{"approval", "status"}));
  auto obj = api_.object(kCsrs, "", "leakguard-agent-node-1-x");
  ASSERT_TRUE(obj);
  const auto& cond = (*obj)["status"]["conditions"][0];
  EXPECT_EQ(cond["type"], "Approved");
  EXPECT_EQ(cond["reason"], "LeakGuardAgentOfThisNode");
  EXPECT_EQ(cond["lastUpdateTime"], "2026-01-01T00:00:00Z");
  auto pem = kube::base64Decode((*obj)["status"]["certificate"].get<std::string>());
  ASSERT_TRUE(pem.ok());
  auto v = agent::certificateValidity(*pem);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->dnsNames, std::vector<std::string>{"node-1.leakguard-agent"});
  EXPECT_EQ(v->notAfter, clock_.now() + 1h);
  EXPECT_EQ(outcomes_["issued"], 1);
}

TEST_F(AgentCertificateSignerTest, DeniesWithTheReasonAndNeverSigns) {
  add(csrJson("impostor", "node-1", "node-2.leakguard-agent"));
  ASSERT_TRUE(signer_->reconcile("impostor").ok());
  auto obj = api_.object(kCsrs, "", "impostor");
  ASSERT_TRUE(obj);
  const auto& cond = (*obj)["status"]["conditions"][0];
  EXPECT_EQ(cond["type"], "Denied");
  EXPECT_EQ(cond["reason"], "NotALeakGuardAgentOfThisNode");
  EXPECT_NE(cond["message"].get<std::string>().find("node-1.leakguard-agent"), std::string::npos);
  EXPECT_FALSE((*obj)["status"].contains("certificate"));
  EXPECT_EQ(outcomes_["denied"], 1);
  EXPECT_EQ(outcomes_["issued"], 0);
}

TEST_F(AgentCertificateSignerTest, ApiErrorsAreRetriedAndGoneRequestsForgotten) {
  add(csrJson("a", "node-1", "node-1.leakguard-agent"));
  api_.fail("replace", Error{"etcd unavailable", 503});
  auto r = signer_->reconcile("a");
  EXPECT_EQ(r.kind, runtime::ReconcileResult::Kind::kRetryableError);
  EXPECT_TRUE(signer_->reconcile("a").ok());
  EXPECT_EQ(outcomes_["issued"], 1);
  // Deleted meanwhile (the cache still has it): nothing to do.
  add(csrJson("b", "node-1", "node-1.leakguard-agent"));
  api_.erase(kCsrs, "", "b");
  EXPECT_TRUE(signer_->reconcile("b").ok());
  EXPECT_TRUE(signer_->reconcile("not-cached").ok());
  EXPECT_EQ(outcomes_["issued"], 1);
}

}  // namespace
}  // namespace lg::reconcile
