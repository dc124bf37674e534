#pragma once
// Per-node serving certificates for the node agents, through the Kubernetes
// CertificateSigningRequest API (README, "The agent channel"). Each agent asks, with signer
// kAgentServingSigner, for a certificate naming only agentCertificateName(its node); the
// controller approves and signs it only when the requester is the agents' ServiceAccount with a
// token bound to a pod on that node (controllers/reconcile/agent_certificate_signer.h), and it
// checks that name when it connects to the agent of that node. The key never leaves the agent.

#include <string>
#include <string_view>
#include <vector>

#include "operator/util/result.h"

namespace lg::agent {

inline constexpr const char* kAgentServingSigner = "leakguard.io/agent-serving";

// The one DNS name of the certificate of `node`'s agent: "<node>.leakguard-agent".
std::string agentCertificateName(std::string_view node);

struct CertificateRequest {
  std::string keyPem;      // a new ECDSA P-256 key (PKCS#8)
  std::string requestPem;  // "-----BEGIN CERTIFICATE REQUEST-----": CN and DNS SAN dnsName
};
Result<CertificateRequest> makeCertificateRequest(const std::string& dnsName);

// What a PEM certificate request asks for, once its self-signature is checked.
struct RequestedNames {
  std::string commonName;
  std::vector<std::string> dnsNames;
  std::vector<std::string> otherNames;    // IP addresses, emails, URIs...: "IP", "email", "URI"
  bool extensionsOtherThanNames = false;  // e.g. basicConstraints asking to be a CA
};
Result<RequestedNames> inspectCertificateRequest(std::string_view pem);

}  // namespace lg::agent
