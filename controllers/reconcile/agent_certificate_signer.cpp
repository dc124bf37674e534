#include "controllers/reconcile/agent_certificate_signer.h"

#include <algorithm>
#include <set>

#include "controllers/agent/certificate_request.h"
#include "operator/kube/base64.h"
#include "operator/kube/rfc3339.h"
#include "operator/util/logger.h"

namespace lg::reconcile {
namespace {

constexpr const char* kNodeNameExtra = "authentication.kubernetes.io/node-name";

CsrVerdict deny(std::string reason) {
  return {.kind = CsrVerdict::Kind::kDeny, .reason = std::move(reason)};
}

}  // namespace

CsrVerdict AgentCertificateSigner::review(const CsrObject& csr, const AgentCertificateRules& r) {
  if (csr.signerName != agent::kAgentServingSigner || csr.denied || csr.issued) return {};
  // Another requester's: another LeakGuard install's agents (its own leader answers them) or
  // someone else's; never signed here, and not denied either, or two installs would deny each
  // other's agents. The API server drops a pending request after a day.
  if (csr.username != r.agentUser) return {};
  auto node = csr.extra.find(kNodeNameExtra);
  if (node == csr.extra.end() || node->second.size() != 1 || node->second[0].empty())
    return deny(std::string("the requester's token is not bound to a pod on a node (no ") +
                kNodeNameExtra + ")");
  const std::string& nodeName = node->second[0];
  const std::string want = agent::agentCertificateName(nodeName);
  if (csr.requestPem.empty()) return deny("spec.request is not a base64 PEM certificate request");
  auto names = agent::inspectCertificateRequest(csr.requestPem);
  if (!names) return deny("spec.request: " + names.error().message);
  if (names->dnsNames != std::vector<std::string>{want})
    return deny("the request must name exactly " + want + " (the requester's node " + nodeName +
                ")");
  if (!names->commonName.empty() && names->commonName != want)
    return deny("the request's common name must be " + want);
  if (!names->otherNames.empty())
    return deny("the request names an " + names->otherNames.front() + "; only " + want +
                " is signed");
  if (names->extensionsOtherThanNames)
    return deny("the request carries extensions other than subjectAltName");
  static const std::set<std::string> kAllowed = {"digital signature", "key encipherment",
                                                 "server auth"};
  for (const auto& u : csr.usages)
    if (!kAllowed.count(u)) return deny("usage \"" + u + "\" is not granted to node agents");
  if (std::find(csr.usages.begin(), csr.usages.end(), "server auth") == csr.usages.end())
    return deny("usage \"server auth\" is missing");
  auto lifetime = r.maxLifetime;
  if (csr.expirationSeconds && *csr.expirationSeconds > 0)
    lifetime = std::min(lifetime, std::chrono::seconds(*csr.expirationSeconds));
  return {.kind = CsrVerdict::Kind::kApprove, .node = nodeName, .lifetime = lifetime};
}

Result<nlohmann::json> AgentCertificateSigner::addCondition(const std::string& name,
                                                            const std::string& type,
                                                            const std::string& reason,
                                                            const std::string& message) {
  kube::WriteOptions o;
  o.timeout = d_.timeout;
  auto obj = d_.api->get(agent::csrRef(name));
  if (!obj) return obj.error();
  auto& status = (*obj)["status"];
  if (!status.is_object()) status = nlohmann::json::object();
  auto& conds = status["conditions"];
  if (!conds.is_array()) conds = nlohmann::json::array();
  const std::string now = kube::formatRfc3339(d_.clock->now());
  conds.push_back({{"type", type},
                   {"status", "True"},
                   {"reason", reason},
                   {"message", message},
                   {"lastUpdateTime", now},
                   {"lastTransitionTime", now}});
  return d_.api->replace(agent::csrRef(name, "approval"), *obj, o);
}

runtime::ReconcileResult AgentCertificateSigner::reconcile(const std::string& key) {
  auto csr = d_.csrs->get(key);
  if (!csr) return runtime::ReconcileResult::done();
  const CsrVerdict v = review(*csr, d_.rules);
  if (v.kind == CsrVerdict::Kind::kNothing) return runtime::ReconcileResult::done();
  if (v.kind == CsrVerdict::Kind::kDeny) {
    LG_LOG(warn, "agent certificate request denied",
           {{"csr", key}, {"username", csr->username}, {"reason", v.reason}});
    auto st = addCondition(key, "Denied", "NotALeakGuardAgentOfThisNode", v.reason);
    if (!st)
      return st.error().code == 404 ? runtime::ReconcileResult::done()
                                    : runtime::ReconcileResult::retry(st.error());
    count("denied");
    return runtime::ReconcileResult::done();
  }
  nlohmann::json obj;
  if (!csr->approved) {
    auto approved = addCondition(key, "Approved", "LeakGuardAgentOfThisNode",
                                 "requested by the node agent of " + v.node);
    if (!approved)
      return approved.error().code == 404 ? runtime::ReconcileResult::done()
                                          : runtime::ReconcileResult::retry(approved.error());
    obj = std::move(*approved);
  } else {
    auto got = d_.api->get(agent::csrRef(key));
    if (!got)
      return got.error().code == 404 ? runtime::ReconcileResult::done()
                                     : runtime::ReconcileResult::retry(got.error());
    obj = std::move(*got);
  }
  auto cert = d_.ca->sign(csr->requestPem, agent::agentCertificateName(v.node), d_.clock->now(),
                          v.lifetime);
  if (!cert) {
    LG_LOG(error, "cannot sign an agent certificate",
           {{"csr", key}, {"node", v.node}, {"error", cert.error().message}});
    count("failed");
    return runtime::ReconcileResult::terminal(cert.error());
  }
  if (!obj["status"].is_object()) obj["status"] = nlohmann::json::object();
  obj["status"]["certificate"] = kube::base64Encode(*cert);
  kube::WriteOptions o;
  o.timeout = d_.timeout;
  auto written = d_.api->replace(agent::csrRef(key, "status"), obj, o);
  if (!written)
    return written.error().code == 404 ? runtime::ReconcileResult::done()
                                       : runtime::ReconcileResult::retry(written.error());
  LG_LOG(info, "agent certificate issued",
         {{"csr", key}, {"node", v.node}, {"lifetimeSeconds", v.lifetime.count()}});
  count("issued");
  return runtime::ReconcileResult::done();
}

}  // namespace lg::reconcile
