#pragma once
// Per-node serving certificates for the node agents, through the Kubernetes
// CertificateSigningRequest API (README, "The agent channel"). Each agent asks, with signer
// kAgentServingSigner, for a certificate naming only agentCertificateName(its node); the
// controller approves and signs it only when the requester is the agents' ServiceAccount with a
// token bound to a pod on that node (controllers/reconcile/agent_certificate_signer.h), and it
// checks that name when it connects to the agent of that node. The key never leaves the agent.

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "operator/kube/api_client.h"
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

// certificates.k8s.io/v1 certificatesigningrequests (cluster-scoped); `name` and `subresource`
// ("approval", "status") as given.
kube::ResourceRef csrRef(const std::string& name = "", const std::string& subresource = "");

// What the agent (waiting for its certificate) and the signer keep of a
// CertificateSigningRequest.
struct CsrObject {
  std::string name;
  std::string signerName;
  std::string username;
  std::map<std::string, std::vector<std::string>> extra;
  std::vector<std::string> usages;
  std::string requestPem;  // spec.request, base64-decoded ("" if it does not decode)
  std::optional<std::int64_t> expirationSeconds;
  bool approved = false;
  bool denied = false;         // Denied or Failed
  std::string refusal;         // then "Denied: <reason> <message>"
  bool issued = false;         // status.certificate set
  std::string certificatePem;  // status.certificate, base64-decoded ("" if it does not)
};
// nullopt without a name. Tolerates missing and mistyped fields. Never throws.
std::optional<CsrObject> projectCsr(const nlohmann::json& csr);

}  // namespace lg::agent
