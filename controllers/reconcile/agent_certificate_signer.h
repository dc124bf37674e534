#pragma once
// Approves and signs the node agents' CertificateSigningRequests (signer
// agent::kAgentServingSigner; controllers/agent/certificate_request.h) and denies, saying why,
// every other request its agents' ServiceAccount makes for that signer; requests of anyone else
// (another install's agents, which its own leader answers) are left alone and never signed.
// One key per CSR name. review() is the whole decision:
//   - requested by the agents' ServiceAccount (`agentUser`), with a token bound to a pod, so
//     that the API server recorded the pod's node in the request (user extra
//     authentication.kubernetes.io/node-name): an agent can name only its own node;
//   - the request names exactly agentCertificateName(that node) (CN and one DNS SAN), no IP,
//     email or URI, no other extension, and its signature verifies;
//   - usages within {digital signature, key encipherment, server auth}, server auth included.
// Then Approved (the approval subresource) and signed for min(spec.expirationSeconds,
// maxLifetime) by the CA (the status subresource). A request already Approved by someone else
// is still reviewed before it is signed; one Denied, Failed or issued is left alone. Decision
// pure (review), I/O in reconcile; leader only (a controller of the manager).

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "controllers/agent/certificate_authority.h"
#include "controllers/agent/certificate_request.h"
#include "operator/kube/api_client.h"
#include "operator/runtime/reconciler.h"
#include "operator/runtime/store.h"
#include "operator/util/clock.h"

namespace lg::reconcile {

using agent::CsrObject;
using agent::projectCsr;

struct AgentCertificateRules {
  std::string agentUser;  // "system:serviceaccount:<namespace>:<agent service account>"
  std::chrono::seconds maxLifetime{std::chrono::hours(24)};
};

struct CsrVerdict {
  enum class Kind { kNothing, kApprove, kDeny };
  Kind kind = Kind::kNothing;
  std::string node;    // kApprove: the node the certificate is for
  std::string reason;  // kDeny: what is wrong, for the Denied condition's message
  std::chrono::seconds lifetime{0};
};

struct AgentCertificateSignerDeps {
  kube::ApiClient* api = nullptr;
  Clock* clock = nullptr;
  runtime::Store<CsrObject>* csrs = nullptr;
  const agent::CertificateAuthority* ca = nullptr;
  AgentCertificateRules rules;
  std::chrono::milliseconds timeout{10000};  // per API call
  // "issued", "denied" or "failed" (signing failed): leakguard_agent_certificates_total.
  std::function<void(const std::string& outcome)> count;
};

class AgentCertificateSigner : public runtime::Reconciler {
 public:
  static CsrVerdict review(const CsrObject& csr, const AgentCertificateRules& rules);

  explicit AgentCertificateSigner(AgentCertificateSignerDeps deps) : d_(std::move(deps)) {}
  runtime::ReconcileResult reconcile(const std::string& key) override;

 private:
  // PUT the approval subresource with one more condition; the object as written.
  Result<nlohmann::json> addCondition(const std::string& name, const std::string& type,
                                      const std::string& reason, const std::string& message);
  void count(const std::string& outcome) const {
    if (d_.count) d_.count(outcome);
  }

  AgentCertificateSignerDeps d_;
};

}  // namespace lg::reconcile
