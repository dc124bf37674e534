#include "controllers/agent/certificate_request.h"

#include "controllers/agent/openssl_handles.h"
#include "operator/kube/base64.h"

namespace lg::agent {
namespace {

const nlohmann::json* field(const nlohmann::json& j, const char* name) {
  if (!j.is_object()) return nullptr;
  auto it = j.find(name);
  return it == j.end() ? nullptr : &*it;
}

std::string str(const nlohmann::json* j) {
  return j && j->is_string() ? j->get<std::string>() : std::string();
}

std::vector<std::string> strings(const nlohmann::json* j) {
  std::vector<std::string> out;
  if (!j || !j->is_array()) return out;
  for (const auto& v : *j)
    if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

}  // namespace

kube::ResourceRef csrRef(const std::string& name, const std::string& subresource) {
  return {.group = "certificates.k8s.io",
          .version = "v1",
          .resource = "certificatesigningrequests",
          .name = name,
          .subresource = subresource};
}

std::string agentCertificateName(std::string_view node) {
  return std::string(node) + ".leakguard-agent";
}

Result<CertificateRequest> makeCertificateRequest(const std::string& dnsName) {
  if (dnsName.empty() || dnsName.find_first_of(",: ") != std::string::npos)
    return makeError("bad DNS name for a certificate request: \"" + dnsName + "\"");
  ossl::KeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) return makeError(ossl::error("generating a P-256 key"));
  ossl::ReqPtr req(X509_REQ_new());
  if (!req || X509_REQ_set_version(req.get(), 0) != 1 ||
      X509_REQ_set_pubkey(req.get(), key.get()) != 1)
    return makeError(ossl::error("certificate request"));
  X509_NAME* name = X509_REQ_get_subject_name(req.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(dnsName.c_str()), -1, -1, 0);
  ossl::ExtStackPtr exts(sk_X509_EXTENSION_new_null());
  const std::string san = "DNS:" + dnsName;
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, nullptr, nullptr, req.get(), nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, san.c_str());
  if (!exts || !ext || sk_X509_EXTENSION_push(exts.get(), ext) == 0) {
    X509_EXTENSION_free(ext);
    return makeError(ossl::error("subjectAltName"));
  }
  if (X509_REQ_add_extensions(req.get(), exts.get()) != 1 ||
      X509_REQ_sign(req.get(), key.get(), EVP_sha256()) == 0)
    return makeError(ossl::error("signing the certificate request"));
  ossl::BioPtr reqBio(BIO_new(BIO_s_mem())), keyBio(BIO_new(BIO_s_mem()));
  if (!reqBio || !keyBio || PEM_write_bio_X509_REQ(reqBio.get(), req.get()) != 1 ||
      PEM_write_bio_PrivateKey(keyBio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return makeError(ossl::error("encoding PEM"));
  return CertificateRequest{ossl::bioString(keyBio.get()), ossl::bioString(reqBio.get())};
}

Result<RequestedNames> inspectCertificateRequest(std::string_view pem) {
  std::string why;
  ossl::ReqPtr req = ossl::readVerifiedRequest(pem, &why);
  if (!req) return makeError(why);
  RequestedNames out;
  X509_NAME* subject = X509_REQ_get_subject_name(req.get());
  if (int i = X509_NAME_get_index_by_NID(subject, NID_commonName, -1); i >= 0) {
    ASN1_STRING* s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i));
    out.commonName.assign(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                          static_cast<std::size_t>(ASN1_STRING_length(s)));
  }
  ossl::ExtStackPtr exts(X509_REQ_get_extensions(req.get()));
  for (int i = 0; exts && i < sk_X509_EXTENSION_num(exts.get()); ++i) {
    X509_EXTENSION* ext = sk_X509_EXTENSION_value(exts.get(), i);
    if (OBJ_obj2nid(X509_EXTENSION_get_object(ext)) != NID_subject_alt_name) {
      out.extensionsOtherThanNames = true;
      continue;
    }
    ossl::NamesPtr names(static_cast<GENERAL_NAMES*>(X509V3_EXT_d2i(ext)));
    if (!names) return makeError("the request's subjectAltName does not parse");
    for (int j = 0; j < sk_GENERAL_NAME_num(names.get()); ++j) {
      const GENERAL_NAME* g = sk_GENERAL_NAME_value(names.get(), j);
      if (g->type == GEN_DNS) {
        const ASN1_STRING* s = g->d.dNSName;
        out.dnsNames.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                                  static_cast<std::size_t>(ASN1_STRING_length(s)));
      } else {
        out.otherNames.emplace_back(g->type == GEN_IPADD   ? "IP"
                                    : g->type == GEN_EMAIL ? "email"
                                    : g->type == GEN_URI   ? "URI"
                                                           : "other");
      }
    }
  }
  return out;
}

std::optional<CsrObject> projectCsr(const nlohmann::json& csr) {
  CsrObject c;
  c.name = str(field(field(csr, "metadata") ? *field(csr, "metadata") : nlohmann::json(), "name"));
  if (c.name.empty()) return std::nullopt;
  static const nlohmann::json kNone;
  const nlohmann::json* spec = field(csr, "spec");
  const nlohmann::json& s = spec ? *spec : kNone;
  c.signerName = str(field(s, "signerName"));
  c.username = str(field(s, "username"));
  c.usages = strings(field(s, "usages"));
  if (const auto* extra = field(s, "extra"); extra && extra->is_object())
    for (const auto& [k, v] : extra->items())
      c.extra[k] = strings(&v);
  if (auto decoded = kube::base64Decode(str(field(s, "request")))) c.requestPem = *decoded;
  if (const auto* e = field(s, "expirationSeconds"); e && e->is_number_integer())
    c.expirationSeconds = e->get<std::int64_t>();
  const nlohmann::json* status = field(csr, "status");
  const nlohmann::json& st = status ? *status : kNone;
  const std::string cert = str(field(st, "certificate"));
  c.issued = !cert.empty();
  if (auto decoded = kube::base64Decode(cert); decoded && c.issued) c.certificatePem = *decoded;
  if (const auto* conds = field(st, "conditions"); conds && conds->is_array()) {
    for (const auto& cond : *conds) {
      if (str(field(cond, "status")) == "False") continue;
      const std::string type = str(field(cond, "type"));
      if (type == "Approved") c.approved = true;
      if ((type == "Denied" || type == "Failed") && !c.denied) {
        c.denied = true;
        c.refusal = type + ": " + str(field(cond, "reason")) + " " + str(field(cond, "message"));
      }
    }
  }
  return c;
}

}  // namespace lg::agent
