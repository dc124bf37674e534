#pragma once
// AgentServer: the node agent's HTTPS endpoint (Boost.Beast over OpenSSL, TLS 1.2+).
//
// - Routes are exact paths mapped to handlers, each for one method: GET (route()) or POST with
//   a body (postRoute()); another method gets 405, an unknown path 404.
//   requireAuthentication() wraps a handler so that it runs only for an accepted bearer token.
// - Deadlines: the TLS handshake, each request's read and each response's write have their own
//   (a slow or silent client cannot hold a connection); requests are at most maxRequestBytes,
//   headers included (413 otherwise), except that a POST route's body may be up to
//   maxPostBodyBytes (the limit is chosen once the header has named the route); at most
//   maxConnections are open (more are closed at accept).
// - Handlers run on a small worker pool, never on the I/O thread, since authentication may wait
//   for a TokenReview. At most maxPendingRequests wait for a worker; more get 503 at once, which
//   also bounds how many TokenReviews unauthenticated callers can cause.
//
// Thread safety: route() before start(); start()/stop() from one thread; port() from any.
// Handlers run on the workers concurrently and must be thread-safe.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "controllers/agent/serving_certificate.h"
#include "controllers/agent/token_authenticator.h"
#include "operator/runtime/runnable.h"
#include "operator/util/result.h"

namespace lg::agent {

struct HttpRequest {
  std::string method;
  std::string path;   // without the query
  std::string query;  // after '?', or ""
  std::string authorization;
  std::string remote;  // "ip:port"
  std::string body;    // POST only
};

struct HttpResponse {
  int status = 200;
  std::string contentType = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// What a handler sees of a parsed request: the target split into path and query at the first
// '?', the Authorization header ("" without one) and the peer.
HttpRequest toHttpRequest(std::string_view method, std::string_view target,
                          std::string_view authorization, std::string remote);

// The (percent-decoded) value of `name` in a query string "a=1&b=2"; nullopt if absent.
std::optional<std::string> queryParam(std::string_view query, std::string_view name);

struct AgentServerOptions {
  std::string bindAddress = ":9440";  // "host:port", as runtime::parseBindAddress takes it
  ServingCertificate certificate;
  std::chrono::milliseconds handshakeTimeout{10000};
  std::chrono::milliseconds readTimeout{10000};
  std::chrono::milliseconds writeTimeout{30000};
  std::size_t maxRequestBytes = 8192;
  std::size_t maxPostBodyBytes = 256 * 1024;
  int maxConnections = 64;
  int workers = 2;
  std::size_t maxPendingRequests = 64;
};

class AgentServer final : public runtime::Runnable {
 public:
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  explicit AgentServer(AgentServerOptions opts);
  ~AgentServer() override;  // stop()
  AgentServer(const AgentServer&) = delete;
  AgentServer& operator=(const AgentServer&) = delete;

  // A GET route.
  void route(std::string path, Handler handler);
  // A POST route: the handler sees the request's body.
  void postRoute(std::string path, Handler handler);
  std::string name() const override { return "agent server"; }
  // Loads the certificate, binds and serves on a thread of its own. Errors: bad certificate,
  // bad address, bind failure.
  Status start() override;
  // Closes the listener and every connection, waits for running handlers. Idempotent.
  void stop() override;
  std::uint16_t port() const;
  // Serves new connections with `cert` from now on (a rotated certificate); connections open
  // keep theirs. Thread-safe. Errors: the certificate or key does not load, or do not match.
  Status setCertificate(const ServingCertificate& cert);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A handler that first authenticates the caller: no or a malformed Authorization header or a
// token the authenticator rejects: 401 (with WWW-Authenticate: Bearer); a valid token of
// someone not allowed: 403; too many token reviews: 429 (Retry-After); authentication
// unavailable: 503 (Retry-After). `observe` (optional) sees every
// outcome (metrics, logs).
AgentServer::Handler requireAuthentication(
    std::function<AuthResult(std::string_view token)> authenticate, AgentServer::Handler next,
    std::function<void(const HttpRequest&, const AuthResult&)> observe = nullptr);

}  // namespace lg::agent
