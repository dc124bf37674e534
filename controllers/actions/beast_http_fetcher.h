#pragma once
// HttpFetcher over Boost.Beast (kube::HttpConnection, plain TCP): one connection per request,
// one deadline for connect, request, header and body. Reads at most maxBytes of the body and
// then stops reading (truncated), so a pod that streams forever costs one deadline and
// maxBytes of memory. Never follows redirects. Thread-safe (no shared state).

#include "controllers/actions/http_fetcher.h"

namespace lg::actions {

class BeastHttpFetcher final : public HttpFetcher {
 public:
  Result<FetchResponse> get(const FetchRequest& req) override;
};

}  // namespace lg::actions
