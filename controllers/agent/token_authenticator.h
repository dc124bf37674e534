#pragma once
// TokenAuthenticator: who is calling the agent, from the bearer token they present, verified by
// the API server (authentication.k8s.io/v1 TokenReview), and whether that identity may read.
//
// - Only usernames in allowedUsers pass (the controller's ServiceAccount,
//   "system:serviceaccount:leakguard-system:leakguard-controller" by default). A valid token of
//   anyone else is 403; an invalid, expired or missing token is 401.
// - audiences: when set, the TokenReview asks for them and a token must be valid for one of
//   them. The chart gives the controller a projected token with audience "leakguard-agent": a
//   token for the agents that the API server itself does not accept, so an agent (or anyone
//   posing as one) that sees it cannot use it against the API.
// - Results are cached for cacheTtl under the token's SHA-256 (the token itself is not kept),
//   in two caches that drop the least recently used entry when full: one for tokens of an
//   allowed user (only the controller's tokens get there, so nobody else can push them out) and
//   one for refused tokens. A failed TokenReview (API server unreachable) is not cached and
//   answers kUnavailable (503): the caller retries.
// - Every distinct bogus token would cost the API server a TokenReview: reviews of tokens never
//   allowed before are rate limited (reviewBurst at once, reviewQps after); past the limit the
//   answer is kThrottled (429) without a review. A token allowed before (the controller's, once
//   its cache entry expired) is reviewed whatever the limit, so a flood cannot lock it out.
// - Reviews by result and throttled requests are counted in the metrics registry, when given:
//   leakguard_agent_token_reviews_total{result}, leakguard_agent_token_reviews_throttled_total.
// - Never logs tokens.
//
// Thread-safe. authenticate() blocks for the TokenReview on a cache miss (bounded by timeout).

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "operator/kube/api_client.h"
#include "operator/runtime/metrics_registry.h"
#include "operator/runtime/token_bucket.h"
#include "operator/util/clock.h"
#include "operator/util/lru_map.h"

namespace lg::agent {

inline constexpr const char* kDefaultAllowedUser =
    "system:serviceaccount:leakguard-system:leakguard-controller";
inline constexpr const char* kDefaultTokenAudience = "leakguard-agent";

struct AuthResult {
  enum class Outcome { kAllowed, kUnauthenticated, kForbidden, kUnavailable, kThrottled };
  Outcome outcome = Outcome::kUnauthenticated;
  std::string user;    // the authenticated username, if any
  std::string reason;  // for the log and the response body (never the token)
  bool cached = false;
};

std::string_view toString(AuthResult::Outcome o);

struct TokenAuthenticatorOptions {
  std::vector<std::string> allowedUsers{kDefaultAllowedUser};
  std::vector<std::string> audiences{kDefaultTokenAudience};  // empty: the API server's
  std::chrono::seconds cacheTtl{60};
  std::size_t maxEntries = 4096;         // tokens of allowed users
  std::size_t maxRefusedEntries = 4096;  // refused tokens
  double reviewQps = 5;                  // reviews of tokens never allowed before
  int reviewBurst = 20;
  std::chrono::milliseconds timeout{5000};
  runtime::MetricsRegistry* metrics = nullptr;
};

class TokenAuthenticator {
 public:
  TokenAuthenticator(kube::ApiClient& api, const Clock& clock, TokenAuthenticatorOptions opts);

  AuthResult authenticate(std::string_view token);
  std::uint64_t reviews() const { return reviews_.load(); }
  std::uint64_t throttled() const { return throttled_.load(); }

 private:
  using Digest = std::array<unsigned char, 32>;
  struct DigestHash {
    std::size_t operator()(const Digest& d) const;
  };
  struct Entry {
    AuthResult result;
    Clock::steady_time_point expires;
  };
  AuthResult review(std::string_view token);
  void count(const AuthResult& r);

  kube::ApiClient& api_;
  const Clock& clock_;
  TokenAuthenticatorOptions opts_;
  runtime::TokenBucket reviewBudget_;
  std::mutex mu_;
  LruMap<Digest, Entry, DigestHash> allowed_;  // kept after expiry: "allowed before"
  LruMap<Digest, Entry, DigestHash> refused_;
  std::atomic<std::uint64_t> reviews_{0};
  std::atomic<std::uint64_t> throttled_{0};
  runtime::CounterFamily* reviewsByResult_ = nullptr;
  runtime::Counter* throttledTotal_ = nullptr;
};

// The token of an "Authorization: Bearer <token>" header value; nullopt for anything else.
std::optional<std::string_view> bearerToken(std::string_view authorization);

}  // namespace lg::agent
