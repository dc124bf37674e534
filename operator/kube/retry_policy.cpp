#include "operator/kube/retry_policy.h"

#include <algorithm>
#include <cmath>

namespace lg::kube {

bool isIdempotent(Verb verb) {
  return verb != Verb::kCreate && verb != Verb::kPatch;
}

const char* verbName(Verb verb) {
  switch (verb) {
    case Verb::kGet:
      return "get";
    case Verb::kList:
      return "list";
    case Verb::kWatch:
      return "watch";
    case Verb::kCreate:
      return "create";
    case Verb::kReplace:
      return "update";
    case Verb::kPatch:
      return "patch";
    case Verb::kDelete:
      return "delete";
  }
  return "unknown";
}

const char* httpMethod(Verb verb) {
  switch (verb) {
    case Verb::kGet:
    case Verb::kList:
    case Verb::kWatch:
      return "GET";
    case Verb::kCreate:
      return "POST";
    case Verb::kReplace:
      return "PUT";
    case Verb::kPatch:
      return "PATCH";
    case Verb::kDelete:
      return "DELETE";
  }
  return "GET";
}

RetryPolicy::RetryPolicy(RetryOptions options) : options_(options) {}

bool RetryPolicy::retryable(Verb verb, const FailedAttempt& failed) {
  const int code = failed.httpCode;
  if (code == 429) return !failed.eviction;
  if (code >= 500 && code <= 599 && code != 501 && code != 505) {
    return isIdempotent(verb) || failed.retryAfter.has_value();
  }
  if (code == 0) return isIdempotent(verb) || !failed.sent;
  return false;
}

std::chrono::milliseconds RetryPolicy::backoff(int attempt, double random01) const {
  const double base = static_cast<double>(options_.initialBackoff.count()) *
                      std::pow(2.0, std::max(0, attempt - 1));
  const double capped = std::min(base, static_cast<double>(options_.maxBackoff.count()));
  const double spread = 1.0 + options_.jitter * (2.0 * std::clamp(random01, 0.0, 1.0) - 1.0);
  return std::chrono::milliseconds(static_cast<int64_t>(std::llround(capped * spread)));
}

std::optional<std::chrono::milliseconds> RetryPolicy::retryDelay(
    Verb verb, const FailedAttempt& failed, std::chrono::steady_clock::time_point now,
    std::chrono::steady_clock::time_point deadline, double random01) const {
  if (!retryable(verb, failed)) return std::nullopt;
  if (failed.number >= options_.maxAttempts) return std::nullopt;
  std::chrono::milliseconds delay = backoff(failed.number, random01);
  if (failed.retryAfter && failed.retryAfter->count() > 0) {
    delay = std::chrono::duration_cast<std::chrono::milliseconds>(*failed.retryAfter);
  }
  // Waiting until the deadline leaves no time for the attempt itself.
  if (now + delay >= deadline) return std::nullopt;
  return delay;
}

}  // namespace lg::kube
