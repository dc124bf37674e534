#pragma once
// HealthServer: a small HTTP/1.1 server (Boost.Beast) for the kubelet's probes and Prometheus:
//   GET /healthz  200 "ok" while the process serves (and every liveness check passes)
//   GET /readyz   200 "ok" once every readiness check passes (e.g. informer caches synced);
//                 503 naming the failing checks otherwise
//   GET /metrics  the MetricsRegistry in the Prometheus text format 0.0.4
// HEAD is served like GET without a body; other methods get 405, other paths 404.
//
// One I/O thread serves every connection asynchronously. Each request must arrive within
// readTimeout (a slow client cannot hold the server), may be at most maxRequestBytes (headers
// included), and responses are written within the same deadline. At most maxConnections are
// open at once; extra connections are closed at accept.
//
// Thread safety: all methods are thread-safe. Checks run on the server thread and must be quick
// and thread-safe themselves.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "operator/runtime/runnable.h"
#include "operator/util/result.h"

namespace lg::runtime {

class MetricsRegistry;

struct HealthServerOptions {
  // "host:port": ":8080" (all IPv4 interfaces), "127.0.0.1:0" (loopback, any free port),
  // "[::]:8080", "localhost:9090".
  std::string bindAddress = ":8080";
  std::chrono::milliseconds readTimeout{5000};
  std::size_t maxRequestBytes = 4096;
  int maxConnections = 64;
};

class HealthServer final : public Runnable {
 public:
  // `metrics` may be null (then /metrics is 404); it must outlive the server.
  HealthServer(MetricsRegistry* metrics, HealthServerOptions opts = {});
  ~HealthServer() override;  // stop()
  HealthServer(const HealthServer&) = delete;
  HealthServer& operator=(const HealthServer&) = delete;

  // Named checks; a check returning false makes /readyz (or /healthz) fail with its name.
  void addReadinessCheck(std::string name, std::function<bool()> check);
  void addLivenessCheck(std::string name, std::function<bool()> check);

  std::string name() const override;  // "health server on <bindAddress>"
  // Binds and starts serving on a thread of its own. Errors: bad address, bind failure.
  Status start() override;
  // Closes the listener and every connection; joins the thread. Idempotent.
  void stop() override;

  // The bound port (useful with port 0); 0 before start().
  std::uint16_t port() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Splits "host:port" / "[v6]:port" / ":port" (host "" means all IPv4 interfaces).
Result<std::pair<std::string, std::uint16_t>> parseBindAddress(const std::string& address);

}  // namespace lg::runtime
