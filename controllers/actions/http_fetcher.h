#pragma once
// The seam between captureDiagnostics and the network: one plain-HTTP GET to a pod. The
// production implementation is BeastHttpFetcher; unit tests use a fake that records requests.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "operator/util/result.h"

namespace lg::actions {

struct FetchRequest {
  std::string host;  // the pod's IP
  std::uint16_t port = 0;
  std::string path;                          // starts with '/'
  std::chrono::milliseconds timeout{10000};  // for the whole exchange
  std::size_t maxBytes = 512 * 1024;         // of the body kept; the rest is not read
};

struct FetchResponse {
  int status = 0;
  std::string contentType;
  std::string body;  // at most maxBytes
  bool truncated = false;
};

class HttpFetcher {
 public:
  virtual ~HttpFetcher() = default;
  // Any HTTP status is a response (redirects are not followed: a 3xx is returned as is). An
  // Error (code 0): could not connect, or no complete header by the deadline. Thread-safe.
  virtual Result<FetchResponse> get(const FetchRequest& req) = 0;
};

}  // namespace lg::actions
