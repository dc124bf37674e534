#pragma once
// The CA that signs the node agents' per-node serving certificates (certificate_request.h). The
// controller holds it (the chart mounts its key into the controller only) and signs a request
// only after AgentCertificateSigner approved it. What it signs is decided here, not by the
// request: a leaf (CA:FALSE) for serverAuth carrying exactly the one DNS name it is given,
// valid from five minutes ago (clock skew) for the lifetime asked, never past the CA's own end.

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "operator/util/result.h"

namespace lg::agent {

struct CertificateValidity {
  std::chrono::system_clock::time_point notBefore;
  std::chrono::system_clock::time_point notAfter;
  std::vector<std::string> dnsNames;
};
// Of the first certificate of a PEM text.
Result<CertificateValidity> certificateValidity(std::string_view certPem);

class CertificateAuthority {
 public:
  // The CA's certificate and its private key (PEM). Errors if the key is not the certificate's
  // or the certificate cannot sign certificates.
  static Result<CertificateAuthority> fromPem(std::string_view certPem, std::string_view keyPem);
  // The same from files; errors name the file.
  static Result<CertificateAuthority> load(const std::string& certFile, const std::string& keyFile);

  // A certificate for the request's public key (whose self-signature must verify), naming
  // dnsName only. PEM, leaf first.
  Result<std::string> sign(std::string_view requestPem, const std::string& dnsName,
                           std::chrono::system_clock::time_point now,
                           std::chrono::seconds lifetime) const;

  const std::string& certPem() const { return certPem_; }

 private:
  struct Keys;
  CertificateAuthority(std::string certPem, std::shared_ptr<const Keys> keys);

  std::string certPem_;
  std::shared_ptr<const Keys> keys_;
};

}  // namespace lg::agent
