#include "controllers/agent/certificate_request.h"

#include "controllers/agent/openssl_handles.h"

namespace lg::agent {

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
  auto bio = ossl::readBio(pem);
  ossl::ReqPtr req(bio ? PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!req) return makeError(ossl::error("no PEM certificate request"));
  EVP_PKEY* pub = X509_REQ_get0_pubkey(req.get());
  if (!pub || X509_REQ_verify(req.get(), pub) != 1)
    return makeError(ossl::error("the request's signature does not verify"));
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

}  // namespace lg::agent
