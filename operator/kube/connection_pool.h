#pragma once
// Idle keep-alive connections to one API server, for reuse by the next request. Bounded: at
// most maxIdle connections wait here (more are closed), none longer than idleTimeout. A
// connection is only ever used by one request at a time: take() hands it out exclusively.
// Thread-safe.

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "operator/kube/http_connection.h"
#include "operator/util/clock.h"

namespace lg::kube {

class ConnectionPool {
 public:
  ConnectionPool(const Clock& clock, size_t maxIdle, std::chrono::seconds idleTimeout);

  // The most recently used idle connection opened with TLS settings `generation`, or null.
  // Connections that went stale (closed by the server, too long idle, older generation) are
  // dropped on the way.
  std::unique_ptr<HttpConnection> take(uint64_t generation);
  // Returns a connection after a complete response that allows keep-alive.
  void put(std::unique_ptr<HttpConnection> connection);
  size_t idle() const;

 private:
  const Clock& clock_;
  const size_t maxIdle_;
  const std::chrono::seconds idleTimeout_;
  mutable std::mutex mu_;
  std::vector<std::unique_ptr<HttpConnection>> idle_;  // oldest first
};

}  // namespace lg::kube
