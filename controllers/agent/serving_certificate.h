#pragma once
// The agent's TLS serving certificate: loaded from PEM files (cert-manager, the chart's CA), or
// generated at startup: a self-signed ECDSA P-256 certificate whose SHA-256 fingerprint the agent
// logs, so an operator can pin or compare it. A generated certificate is its own CA
// (basicConstraints CA:TRUE), so a client may use the certificate file itself as its trust
// anchor.

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "operator/util/result.h"

namespace lg::agent {

struct ServingCertificate {
  std::string certPem;  // the certificate chain, leaf first
  std::string keyPem;   // its private key
};

// dnsNames and ipAddresses become subjectAltNames (the first DNS name, or "leakguard-agent",
// is also the subject CN). Valid from an hour ago for `validity`.
Result<ServingCertificate> generateSelfSignedCertificate(
    const std::vector<std::string>& dnsNames, const std::vector<std::string>& ipAddresses,
    std::chrono::hours validity = std::chrono::hours(24 * 365));

// Reads both files; errors name the file. Checks that the key matches the certificate.
Result<ServingCertificate> loadServingCertificate(const std::string& certFile,
                                                  const std::string& keyFile);

// "AB:CD:..." : SHA-256 of the first certificate's DER encoding.
Result<std::string> certificateFingerprint(std::string_view certPem);

}  // namespace lg::agent
