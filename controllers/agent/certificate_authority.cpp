#include "controllers/agent/certificate_authority.h"

#include <ctime>

#include "controllers/agent/openssl_handles.h"
#include "operator/util/read_file.h"

namespace lg::agent {
namespace {

constexpr std::chrono::minutes kBackdate{5};

Result<std::chrono::system_clock::time_point> toTimePoint(const ASN1_TIME* t) {
  std::tm tm{};
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return makeError("bad certificate time");
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

bool addExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  ossl::ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  return ext && X509_add_ext(cert, ext.get(), -1) == 1;
}

std::string asString(const ASN1_STRING* s) {
  return {reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
          static_cast<std::size_t>(ASN1_STRING_length(s))};
}

}  // namespace

Result<CertificateValidity> certificateValidity(std::string_view certPem) {
  auto cert = ossl::readCertificate(certPem);
  if (!cert) return makeError(ossl::error("no PEM certificate"));
  auto from = toTimePoint(X509_get0_notBefore(cert.get()));
  auto to = toTimePoint(X509_get0_notAfter(cert.get()));
  if (!from || !to) return makeError("the certificate's validity does not parse");
  CertificateValidity v{*from, *to, {}};
  ossl::NamesPtr names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert.get(), NID_subject_alt_name, nullptr, nullptr)));
  for (int i = 0; names && i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* g = sk_GENERAL_NAME_value(names.get(), i);
    if (g->type == GEN_DNS) v.dnsNames.push_back(asString(g->d.dNSName));
  }
  return v;
}

struct CertificateAuthority::Keys {
  ossl::X509Ptr cert;
  ossl::KeyPtr key;
};

CertificateAuthority::CertificateAuthority(std::string certPem, std::shared_ptr<const Keys> keys)
    : certPem_(std::move(certPem)), keys_(std::move(keys)) {}

Result<CertificateAuthority> CertificateAuthority::fromPem(std::string_view certPem,
                                                           std::string_view keyPem) {
  auto keys = std::make_shared<Keys>();
  keys->cert = ossl::readCertificate(certPem);
  if (!keys->cert) return makeError(ossl::error("no PEM certificate for the CA"));
  keys->key = ossl::readPrivateKey(keyPem);
  if (!keys->key) return makeError(ossl::error("no PEM private key for the CA"));
  if (X509_check_private_key(keys->cert.get(), keys->key.get()) != 1)
    return makeError(ossl::error("the CA key does not match the CA certificate"));
  if (X509_check_ca(keys->cert.get()) == 0)
    return makeError("the CA certificate cannot sign certificates (not CA:TRUE)");
  return CertificateAuthority(std::string(certPem), std::move(keys));
}

Result<CertificateAuthority> CertificateAuthority::load(const std::string& certFile,
                                                        const std::string& keyFile) {
  auto cert = readWholeFile(certFile);
  if (!cert) return cert.error();
  auto key = readWholeFile(keyFile);
  if (!key) return key.error();
  auto ca = fromPem(*cert, *key);
  if (!ca) return makeError(ca.error().message + " (" + certFile + ", " + keyFile + ")");
  return ca;
}

Result<std::string> CertificateAuthority::sign(std::string_view requestPem,
                                               const std::string& dnsName,
                                               std::chrono::system_clock::time_point now,
                                               std::chrono::seconds lifetime) const {
  if (dnsName.empty() || dnsName.find_first_of(",: ") != std::string::npos)
    return makeError("bad DNS name to sign: \"" + dnsName + "\"");
  if (lifetime.count() <= 0) return makeError("a certificate's lifetime must be positive");
  std::string why;
  ossl::ReqPtr req = ossl::readVerifiedRequest(requestPem, &why);
  if (!req) return makeError(why);
  EVP_PKEY* pub = X509_REQ_get0_pubkey(req.get());

  X509* issuer = keys_->cert.get();
  ossl::X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), 2) != 1 || !ossl::setRandomSerial(cert.get()))
    return makeError(ossl::error("certificate"));
  const auto caEnd = toTimePoint(X509_get0_notAfter(issuer));
  if (!caEnd) return caEnd.error();
  auto end = now + lifetime;
  if (end > *caEnd) end = *caEnd;
  const auto start = now - kBackdate;
  if (end <= now) return makeError("the CA certificate has expired");
  if (!ASN1_TIME_set(X509_getm_notBefore(cert.get()),
                     std::chrono::system_clock::to_time_t(start)) ||
      !ASN1_TIME_set(X509_getm_notAfter(cert.get()), std::chrono::system_clock::to_time_t(end)))
    return makeError(ossl::error("validity"));
  if (X509_set_pubkey(cert.get(), pub) != 1 ||
      X509_set_issuer_name(cert.get(), X509_get_subject_name(issuer)) != 1)
    return makeError(ossl::error("certificate"));
  X509_NAME* subject = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("leakguard"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(dnsName.c_str()), -1, -1, 0);
  const std::string san = "DNS:" + dnsName;
  if (!addExtension(cert.get(), issuer, NID_basic_constraints, "critical,CA:FALSE") ||
      !addExtension(cert.get(), issuer, NID_key_usage, "critical,digitalSignature") ||
      !addExtension(cert.get(), issuer, NID_ext_key_usage, "serverAuth") ||
      !addExtension(cert.get(), issuer, NID_subject_key_identifier, "hash") ||
      !addExtension(cert.get(), issuer, NID_authority_key_identifier, "keyid:always") ||
      !addExtension(cert.get(), issuer, NID_subject_alt_name, san.c_str()))
    return makeError(ossl::error("certificate extensions"));
  if (X509_sign(cert.get(), keys_->key.get(), EVP_sha256()) == 0)
    return makeError(ossl::error("signing the certificate"));
  ossl::BioPtr out(BIO_new(BIO_s_mem()));
  if (!out || PEM_write_bio_X509(out.get(), cert.get()) != 1)
    return makeError(ossl::error("encoding PEM"));
  return ossl::bioString(out.get());
}

}  // namespace lg::agent
