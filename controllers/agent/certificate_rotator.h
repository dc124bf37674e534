#pragma once
// The node agent's side of its per-node serving certificate (certificate_request.h): a new key
// and a CertificateSigningRequest for agentCertificateName(node), the issued certificate
// checked (it is for this key and names this node only) and installed, and the same again at
// two thirds of its lifetime, so a certificate is replaced long before it expires. A request
// denied or not issued within `waitForIssue` is logged and retried after a backoff (5 s
// doubling to 5 min) while the certificate in use, if any, keeps serving.
//
// RBAC: create and get certificatesigningrequests (charts/leakguard/templates/rbac-agent.yaml).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "controllers/agent/certificate_authority.h"
#include "controllers/agent/certificate_request.h"
#include "controllers/agent/serving_certificate.h"
#include "operator/kube/api_client.h"
#include "operator/runtime/runnable.h"
#include "operator/util/clock.h"
#include "operator/util/result.h"

namespace lg::agent {

struct CertificateRotatorOptions {
  std::string node;
  std::string signerName = kAgentServingSigner;
  std::chrono::seconds lifetime{std::chrono::hours(24)};  // asked for (spec.expirationSeconds)
  std::chrono::milliseconds pollEvery{1000};
  std::chrono::seconds waitForIssue{300};    // per request; then a new request
  std::chrono::milliseconds timeout{10000};  // per API call
  std::function<Status(const ServingCertificate&)> install;
};

class CertificateRotator final : public runtime::Runnable {
 public:
  // When to ask for the next certificate: two thirds of the way from notBefore to notAfter.
  static Clock::time_point renewAt(const CertificateValidity& v);

  CertificateRotator(kube::ApiClient& api, Clock& clock, CertificateRotatorOptions opts);
  ~CertificateRotator() override;  // stop()
  CertificateRotator(const CertificateRotator&) = delete;
  CertificateRotator& operator=(const CertificateRotator&) = delete;

  // One round: key, request, wait for the certificate, check it. Does not install it.
  Result<ServingCertificate> requestOnce();
  std::string name() const override { return "certificate rotator"; }
  // Rounds on a thread of its own, installing each certificate through opts.install.
  Status start() override;
  void stop() override;
  // A certificate issued for this node is installed (the agent's readiness).
  bool hasCertificate() const { return installed_.load(); }

 private:
  void loop();
  // Waits up to d; false if stopping.
  bool sleep(std::chrono::steady_clock::duration d);

  kube::ApiClient& api_;
  Clock& clock_;
  CertificateRotatorOptions opts_;
  std::atomic<bool> installed_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace lg::agent
