#include "operator/kube/tls_context.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

namespace lg::kube {
namespace {

namespace ssl = boost::asio::ssl;

bool isIp(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

std::string sslError(const boost::system::error_code& ec) {
  std::string m = ec.message();
  return m.empty() ? "OpenSSL error " + std::to_string(ec.value()) : m;
}

}  // namespace

TlsContext::TlsContext() : ctx_(ssl::context::tls_client) {}

Result<std::shared_ptr<TlsContext>> TlsContext::create(const ClusterConfig& config,
                                                       const ServerUrl& url,
                                                       const ClientCertificate& cert) {
  std::shared_ptr<TlsContext> t(new TlsContext());
  SSL_CTX* raw = t->ctx_.native_handle();
  SSL_CTX_set_min_proto_version(raw, TLS1_2_VERSION);
  t->ctx_.set_options(ssl::context::default_workarounds | ssl::context::no_compression);
  boost::system::error_code ec;
  if (config.insecureSkipVerify) {
    t->verify_ = false;
    t->ctx_.set_verify_mode(ssl::verify_none);
  } else {
    t->ctx_.set_verify_mode(ssl::verify_peer);
    if (!config.caData.empty()) {
      t->ctx_.add_certificate_authority(boost::asio::buffer(config.caData), ec);
      if (ec) return makeError("certificate authority data: " + sslError(ec));
    } else {
      t->ctx_.set_default_verify_paths(ec);
      if (ec) return makeError("system trust store: " + sslError(ec));
    }
  }
  if (!cert.certPem.empty()) {
    t->ctx_.use_certificate_chain(boost::asio::buffer(cert.certPem), ec);
    if (ec) return makeError("client certificate: " + sslError(ec));
    t->ctx_.use_private_key(boost::asio::buffer(cert.keyPem), ssl::context::pem, ec);
    if (ec) return makeError("client key: " + sslError(ec));
    if (SSL_CTX_check_private_key(raw) != 1) {
      ERR_clear_error();
      return makeError("client key does not match the client certificate");
    }
  }
  // tls-server-name replaces the URL's host both as SNI and as the identity checked.
  t->verifyName_ = config.tlsServerName.empty() ? url.host : config.tlsServerName;
  t->verifyIsIp_ = isIp(t->verifyName_);
  // RFC 6066: SNI carries host names only, never IP literals.
  t->sni_ = t->verifyIsIp_ ? "" : t->verifyName_;
  return t;
}

Status TlsContext::prepare(SSL* ssl) const {
  if (!sni_.empty() && SSL_set_tlsext_host_name(ssl, sni_.c_str()) != 1) {
    ERR_clear_error();
    return makeError("cannot set TLS server name \"" + sni_ + "\"");
  }
  if (!verify_) return okStatus();
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  const int ok = verifyIsIp_ ? X509_VERIFY_PARAM_set1_ip_asc(param, verifyName_.c_str())
                             : X509_VERIFY_PARAM_set1_host(param, verifyName_.c_str(), 0);
  if (ok != 1) {
    ERR_clear_error();
    return makeError("cannot set the expected server identity \"" + verifyName_ + "\"");
  }
  // No partial wildcards ("a*.example"), as Go's crypto/tls.
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  return okStatus();
}

}  // namespace lg::kube
