#pragma once
// The TLS settings of one API server: an OpenSSL context holding the trusted CAs and the client
// certificate, plus the per-connection settings (SNI, the name or IP the server certificate must
// match). Immutable after create(); SSL_CTX is safe to share between connections and threads.

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "operator/kube/cluster_config.h"
#include "operator/kube/server_url.h"
#include "operator/util/result.h"

typedef struct ssl_st SSL;

namespace lg::kube {

class TlsContext {
 public:
  // Errors say which PEM could not be loaded. `cert` may be empty (no client certificate).
  static Result<std::shared_ptr<TlsContext>> create(const ClusterConfig& config,
                                                    const ServerUrl& url,
                                                    const ClientCertificate& cert);

  boost::asio::ssl::context& context() { return ctx_; }
  // Sets SNI and the expected server identity on a new connection's SSL object.
  Status prepare(SSL* ssl) const;

 private:
  TlsContext();

  boost::asio::ssl::context ctx_;
  std::string verifyName_;  // DNS name or IP literal the certificate must match
  bool verifyIsIp_ = false;
  std::string sni_;  // "" when connecting by IP without tls-server-name
  bool verify_ = true;
};

}  // namespace lg::kube
