#include "controllers/agent/serving_certificate.h"

#include <arpa/inet.h>

#include <memory>

#include "controllers/agent/openssl_handles.h"
#include "operator/util/read_file.h"

namespace lg::agent {
namespace {

using ossl::BioPtr;
using ossl::bioString;
using ossl::ExtPtr;
using ossl::KeyPtr;
using ossl::X509Ptr;
const auto opensslError = ossl::error;

bool addExtension(X509* cert, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  return ext && X509_add_ext(cert, ext.get(), -1) == 1;
}

}  // namespace

Result<ServingCertificate> generateSelfSignedCertificate(const std::vector<std::string>& dnsNames,
                                                         const std::vector<std::string>& ips,
                                                         std::chrono::hours validity) {
  KeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) return makeError(opensslError("generating a P-256 key"));
  X509Ptr cert(X509_new());
  if (!cert) return makeError(opensslError("X509_new"));
  X509_set_version(cert.get(), 2);
  if (!ossl::setRandomSerial(cert.get())) return makeError(opensslError("serial number"));
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()),
                  static_cast<long>(std::chrono::seconds(validity).count()));
  X509_set_pubkey(cert.get(), key.get());
  const std::string cn = dnsNames.empty() ? "leakguard-agent" : dnsNames.front();
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("leakguard"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);

  std::string san;
  for (const auto& d : dnsNames) {
    if (d.empty() || d.find_first_of(",:") != std::string::npos) continue;
    san += (san.empty() ? "DNS:" : ",DNS:") + d;
  }
  for (const auto& ip : ips) {
    unsigned char buf[16];
    if (inet_pton(AF_INET, ip.c_str(), buf) != 1 && inet_pton(AF_INET6, ip.c_str(), buf) != 1)
      continue;
    san += (san.empty() ? "IP:" : ",IP:") + ip;
  }
  if (san.empty()) san = "DNS:leakguard-agent";
  if (!addExtension(cert.get(), NID_basic_constraints, "critical,CA:TRUE") ||
      !addExtension(cert.get(), NID_key_usage, "critical,digitalSignature,keyCertSign") ||
      !addExtension(cert.get(), NID_ext_key_usage, "serverAuth") ||
      !addExtension(cert.get(), NID_subject_key_identifier, "hash") ||
      !addExtension(cert.get(), NID_subject_alt_name, san))
    return makeError(opensslError("certificate extensions"));
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0)
    return makeError(opensslError("signing the certificate"));

  BioPtr certBio(BIO_new(BIO_s_mem())), keyBio(BIO_new(BIO_s_mem()));
  if (!certBio || !keyBio || PEM_write_bio_X509(certBio.get(), cert.get()) != 1 ||
      PEM_write_bio_PrivateKey(keyBio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return makeError(opensslError("encoding PEM"));
  return ServingCertificate{bioString(certBio.get()), bioString(keyBio.get())};
}

Result<ServingCertificate> loadServingCertificate(const std::string& certFile,
                                                  const std::string& keyFile) {
  auto cert = readWholeFile(certFile);
  if (!cert) return cert.error();
  auto key = readWholeFile(keyFile);
  if (!key) return key.error();
  BioPtr cb(BIO_new_mem_buf(cert->data(), static_cast<int>(cert->size())));
  X509Ptr x(cb ? PEM_read_bio_X509(cb.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!x) return makeError(opensslError("no PEM certificate in " + certFile));
  BioPtr kb(BIO_new_mem_buf(key->data(), static_cast<int>(key->size())));
  KeyPtr k(kb ? PEM_read_bio_PrivateKey(kb.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!k) return makeError(opensslError("no PEM private key in " + keyFile));
  if (X509_check_private_key(x.get(), k.get()) != 1)
    return makeError(opensslError(keyFile + " does not match " + certFile));
  return ServingCertificate{std::move(*cert), std::move(*key)};
}

Result<std::string> certificateFingerprint(std::string_view certPem) {
  BioPtr bio(BIO_new_mem_buf(certPem.data(), static_cast<int>(certPem.size())));
  X509Ptr x(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!x) return makeError(opensslError("no PEM certificate"));
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (X509_digest(x.get(), EVP_sha256(), md, &n) != 1)
    return makeError(opensslError("certificate digest"));
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned int i = 0; i < n; ++i) {
    if (i) out += ':';
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 0xF];
  }
  return out;
}

}  // namespace lg::agent
