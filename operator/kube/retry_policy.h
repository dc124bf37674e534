#pragma once
// When a failed API request is tried again, and after how long. Pure: time and randomness come
// in as arguments, so tests drive it with a fake clock. Immutable and thread-safe.
//
// Retried:
// - 429 Too Many Requests, for every verb: the server did not process the request (API
//   Priority and Fairness) - except from an eviction, where 429 means a PodDisruptionBudget
//   forbids it now; that is an answer, not overload.
// - 5xx (but 501, 505) for idempotent verbs (GET, LIST, WATCH, PUT, DELETE); for POST and
//   PATCH only with a Retry-After header, the server's word that it did not act.
// - No response at all (connection refused, reset, TLS failure, timeout) for idempotent verbs,
//   and for POST and PATCH only when the request never left (connect or send failed).
// The wait is Retry-After when the server sent one, else exponential backoff with jitter;
// no retry is attempted when the wait would pass the call's deadline.

#include <chrono>
#include <optional>

namespace lg::kube {

enum class Verb { kGet, kList, kWatch, kCreate, kReplace, kPatch, kDelete };

// GET, LIST, WATCH, PUT and DELETE can be repeated without a second effect.
bool isIdempotent(Verb verb);
// "GET", "POST", "PUT", "PATCH", "DELETE".
const char* httpMethod(Verb verb);
// The Kubernetes verb: "get", "list", "watch", "create", "update", "patch", "delete".
const char* verbName(Verb verb);

struct RetryOptions {
  int maxAttempts = 8;  // including the first
  std::chrono::milliseconds initialBackoff{250};
  std::chrono::milliseconds maxBackoff{8000};
  double jitter = 0.25;  // the wait is backoff * (1 +- jitter)
};

struct FailedAttempt {
  int number = 1;     // 1 for the first attempt
  int httpCode = 0;   // 0 when no response arrived
  bool sent = false;  // the whole request may have reached the server
  std::optional<std::chrono::seconds> retryAfter;
  bool eviction = false;  // a POST to pods/<name>/eviction
};

class RetryPolicy {
 public:
  explicit RetryPolicy(RetryOptions options = {});

  // Whether this failure may be retried at all (ignoring attempts and time).
  static bool retryable(Verb verb, const FailedAttempt& failed);
  // The wait before the next attempt, or nullopt to give up: not retryable, out of attempts,
  // or the wait would end at or after the deadline. random01 in [0, 1) spreads the backoff.
  std::optional<std::chrono::milliseconds> retryDelay(
      Verb verb, const FailedAttempt& failed, std::chrono::steady_clock::time_point now,
      std::chrono::steady_clock::time_point deadline, double random01) const;
  // The backoff after the given attempt without Retry-After, before the deadline check.
  std::chrono::milliseconds backoff(int attempt, double random01) const;

  const RetryOptions& options() const { return options_; }

 private:
  RetryOptions options_;
};

}  // namespace lg::kube
