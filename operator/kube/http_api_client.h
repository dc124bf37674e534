#pragma once
// ApiClient over HTTP/1.1 (Boost.Beast) and TLS (OpenSSL 3), for a real API server.
//
// - Deadlines: each call has one deadline (its timeout option, else options.timeout) covering
//   connecting, TLS, sending, reading and every retry with its wait. Connections run their I/O
//   as Beast async operations under a socket expiry, so nothing blocks past it (see
//   HttpConnection). A watch's deadline covers opening it; then each next() waits at most the
//   idle timeout.
// - Retries: RetryPolicy decides (429, 5xx, connection failures; Retry-After honoured; POST and
//   PATCH only when safe). A 401 with an exec credential plugin re-runs the plugin once.
// - Connections: a bounded pool of keep-alive connections, reused most-recent-first; broken,
//   stale or long-idle ones are dropped.
// - Credentials: the bearer token is asked from the TokenSource on every request (rotation);
//   an exec plugin's client certificate is re-checked whenever a connection is opened.
//   Tokens are never logged.
// - Limits: response bodies over maxResponseBytes, request bodies over maxRequestBytes and
//   watch events over maxWatchEventBytes are errors, so a hostile server cannot make us
//   allocate without bound. A request refused locally for its size gets code 413.
// - Errors: Error::code is the HTTP status, or 0 when no response arrived; the message starts
//   with the method and path and carries the server's Status message with field causes.
// Thread-safe: one client serves every thread; calls run concurrently on separate connections.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "operator/kube/api_client.h"
#include "operator/kube/cluster_config.h"
#include "operator/kube/connection_pool.h"
#include "operator/kube/retry_policy.h"
#include "operator/kube/server_url.h"
#include "operator/kube/tls_context.h"
#include "operator/util/clock.h"

namespace lg::kube {

// One attempt of a request, for metrics: the Kubernetes verb, the resource ("pods",
// "pods/eviction"; "" for a raw path), the HTTP status (0: no response) and how long it took.
struct ApiRequestRecord {
  const char* verb = "";
  std::string_view resource;
  int code = 0;
  double seconds = 0;
};

struct HttpApiClientOptions {
  std::chrono::milliseconds timeout{30000};  // per call, unless the call sets its own
  std::string userAgent;                     // "" for "leakguard/<version>"
  size_t maxIdleConnections = 16;
  std::chrono::seconds idleConnectionTimeout{90};
  size_t maxResponseBytes = 64u << 20;
  size_t maxRequestBytes = 8u << 20;
  size_t maxWatchEventBytes = 16u << 20;
  RetryOptions retry;
  // Deadlines and backoff run on this clock; it must outlive the client.
  Clock* clock = &SystemClock::instance();
  // Waits between retries. Default: Clock::waitFor on `clock`, so a FakeClock drives it.
  std::function<void(std::chrono::milliseconds)> sleep;
  // Uniform in [0, 1), for backoff jitter; must be thread-safe. Default: a per-thread PRNG.
  std::function<double()> random;
  // Sees every attempt (retries each count), e.g. leakguard_api_requests_total. Thread-safe.
  std::function<void(const ApiRequestRecord&)> observe;
};

class HttpApiClient final : public ApiClient {
 public:
  // Errors: a bad server URL, unloadable CA or client certificate.
  static Result<std::unique_ptr<HttpApiClient>> create(ClusterConfig config,
                                                       HttpApiClientOptions options = {});
  ~HttpApiClient() override;

  Result<nlohmann::json> get(const ResourceRef& ref) override;
  Result<ListPage> list(const ResourceRef& ref, const ListOptions& opts) override;
  Result<std::string> listText(const ResourceRef& ref, const ListOptions& opts) override;
  Result<std::unique_ptr<WatchStream>> watch(const ResourceRef& ref,
                                             const WatchOptions& opts) override;
  Result<nlohmann::json> create(const ResourceRef& ref, const nlohmann::json& body,
                                const WriteOptions& opts = {}) override;
  Result<nlohmann::json> replace(const ResourceRef& ref, const nlohmann::json& body,
                                 const WriteOptions& opts = {}) override;
  Result<nlohmann::json> patch(const ResourceRef& ref, PatchType type, const nlohmann::json& body,
                               const WriteOptions& opts = {}) override;
  Status remove(const ResourceRef& ref, const DeleteOptions& opts = {}) override;

  // GET of a non-resource path ("/version", "/readyz", "/apis") answering JSON.
  Result<nlohmann::json> getPath(std::string_view path,
                                 std::optional<std::chrono::milliseconds> timeout = {});

  struct Stats {
    uint64_t requests = 0;           // HTTP requests sent, retries included
    uint64_t retries = 0;            // attempts after a retryable failure
    uint64_t connectionsOpened = 0;  // new TCP (+TLS) connections
    size_t idleConnections = 0;      // in the pool now
  };
  Stats stats() const;
  const ClusterConfig& config() const { return config_; }

 private:
  struct Call;
  struct Response;
  struct Attempt;

  HttpApiClient(ClusterConfig config, ServerUrl url, HttpApiClientOptions options);
  Result<Response> execute(const Call& call);
  static Call listCall(const ResourceRef& ref, const ListOptions& opts);
  Attempt attempt(const Call& call, std::chrono::steady_clock::time_point deadline,
                  bool forceNewConnection);
  Result<std::unique_ptr<HttpConnection>> connect(std::chrono::steady_clock::time_point deadline,
                                                  bool* reused, bool forceNew);
  Result<std::shared_ptr<TlsContext>> currentTls(uint64_t* generation);
  Result<nlohmann::json> executeJson(const Call& call);
  std::chrono::steady_clock::time_point deadlineFor(
      std::optional<std::chrono::milliseconds> timeout) const;
  HttpConnection::TimePoint ioDeadline(std::chrono::steady_clock::time_point deadline) const;

  const ClusterConfig config_;
  const ServerUrl url_;
  const HttpApiClientOptions options_;
  const RetryPolicy retry_;
  Clock& clock_;
  ConnectionPool pool_;

  std::mutex tlsMu_;
  std::shared_ptr<TlsContext> tls_;  // null for plain http
  ClientCertificate tlsCert_;        // what tls_ was built with
  uint64_t tlsGeneration_ = 0;

  std::atomic<uint64_t> requests_{0};
  std::atomic<uint64_t> retries_{0};
  std::atomic<uint64_t> connectionsOpened_{0};
};

}  // namespace lg::kube
