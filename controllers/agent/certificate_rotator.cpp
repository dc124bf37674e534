#include "controllers/agent/certificate_rotator.h"

#include <algorithm>

#include "operator/kube/base64.h"
#include "operator/kube/rfc3339.h"
#include "operator/util/logger.h"

namespace lg::agent {
Clock::time_point CertificateRotator::renewAt(const CertificateValidity& v) {
  return v.notBefore + (v.notAfter - v.notBefore) * 2 / 3;
}

CertificateRotator::CertificateRotator(kube::ApiClient& api, Clock& clock,
                                       CertificateRotatorOptions opts)
    : api_(api), clock_(clock), opts_(std::move(opts)) {}

CertificateRotator::~CertificateRotator() {
  stop();
}

bool CertificateRotator::sleep(std::chrono::steady_clock::duration d) {
  std::unique_lock lock(mu_);
  return !clock_.waitFor(lock, cv_, d, [this] { return stopping_; });
}

Result<ServingCertificate> CertificateRotator::requestOnce() {
  const std::string dnsName = agentCertificateName(opts_.node);
  auto req = makeCertificateRequest(dnsName);
  if (!req) return req.error();
  std::string prefix = "leakguard-agent-" + opts_.node.substr(0, 200) + "-";
  nlohmann::json body = {
      {"apiVersion", "certificates.k8s.io/v1"},
      {"kind", "CertificateSigningRequest"},
      {"metadata",
       {{"generateName", prefix}, {"labels", {{"app.kubernetes.io/name", "leakguard-agent"}}}}},
      {"spec",
       {{"request", kube::base64Encode(req->requestPem)},
        {"signerName", opts_.signerName},
        {"expirationSeconds", std::max<std::int64_t>(600, opts_.lifetime.count())},
        {"usages", {"digital signature", "server auth"}}}}};
  kube::WriteOptions wo;
  wo.timeout = opts_.timeout;
  auto created = api_.create(csrRef(), body, wo);
  if (!created)
    return makeError("creating a CertificateSigningRequest: " + created.error().message,
                     created.error().code);
  const auto createdCsr = projectCsr(*created);
  if (!createdCsr) return makeError("creating a CertificateSigningRequest: no name in the answer");
  const std::string name = createdCsr->name;
  LG_LOG(info, "asked for a serving certificate", {{"csr", name}, {"dnsName", dnsName}});
  const auto deadline = clock_.deadlineAfter(opts_.waitForIssue);
  auto csr = createdCsr;
  for (;;) {
    if (csr && csr->issued) {
      if (csr->certificatePem.empty())
        return makeError("CSR " + name + ": status.certificate is not base64");
      ServingCertificate sc{csr->certificatePem, req->keyPem};
      auto v = certificateValidity(sc.certPem);
      if (!v) return makeError("CSR " + name + ": " + v.error().message);
      if (v->dnsNames != std::vector<std::string>{dnsName})
        return makeError("CSR " + name + ": the certificate does not name " + dnsName);
      return sc;
    }
    if (csr && csr->denied) return makeError("CSR " + name + " " + csr->refusal);
    if (clock_.steadyNow() >= deadline)
      return makeError("CSR " + name + " not issued within " +
                       std::to_string(opts_.waitForIssue.count()) +
                       "s: is the LeakGuard controller running with --agent-signer-key-file?");
    if (!sleep(opts_.pollEvery)) return makeError("stopping");
    auto got = api_.get(csrRef(name));
    if (!got) {
      LG_LOG(debug, "cannot read the CSR", {{"csr", name}, {"error", got.error().message}});
      continue;
    }
    csr = projectCsr(*got);
  }
}

void CertificateRotator::loop() {
  std::chrono::seconds backoff{5};
  for (;;) {
    {
      std::lock_guard g(mu_);
      if (stopping_) return;
    }
    auto cert = requestOnce();
    Status installed = cert ? opts_.install(*cert) : Status(cert.error());
    if (!installed) {
      {
        std::lock_guard g(mu_);
        if (stopping_) return;
      }
      LG_LOG(warn, "no new serving certificate",
             {{"error", installed.error().message}, {"retryInSeconds", backoff.count()}});
      if (!sleep(backoff)) return;
      backoff = std::min<std::chrono::seconds>(backoff * 2, std::chrono::minutes(5));
      continue;
    }
    backoff = std::chrono::seconds(5);
    installed_ = true;
    auto v = certificateValidity(cert->certPem);
    const auto renew = v ? renewAt(*v) : clock_.now() + std::chrono::minutes(5);
    LG_LOG(info, "serving certificate installed",
           {{"notAfter", v ? kube::formatRfc3339(v->notAfter) : std::string()},
            {"renewInSeconds",
             std::chrono::duration_cast<std::chrono::seconds>(renew - clock_.now()).count()}});
    if (!sleep(std::max<std::chrono::steady_clock::duration>(renew - clock_.now(),
                                                             std::chrono::seconds(1))))
      return;
  }
}

Status CertificateRotator::start() {
  if (thread_.joinable()) return okStatus();
  thread_ = std::thread([this] { loop(); });
  return okStatus();
}

void CertificateRotator::stop() {
  {
    std::lock_guard g(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace lg::agent
