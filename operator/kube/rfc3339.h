#pragma once
// RFC 3339 timestamps as Kubernetes writes them: metav1.Time ("2026-11-25T18:00:00Z") and
// metav1.MicroTime ("2026-11-25T18:00:00.123456Z"). Pure and thread-safe.

#include <string>
#include <string_view>

#include "operator/util/clock.h"
#include "operator/util/result.h"

namespace lg::kube {

// Accepts a 'T' or 't' separator, optional fractional seconds (any number of digits, kept to
// microseconds), and 'Z' or a +hh:mm / -hh:mm offset. Errors name the input.
Result<Clock::time_point> parseRfc3339(std::string_view text);
// "2026-11-25T18:00:00Z" (seconds precision, UTC).
std::string formatRfc3339(Clock::time_point t);
// "2026-11-25T18:00:00.123456Z" (microseconds, UTC): the MicroTime of events.k8s.io/v1.
std::string formatRfc3339Micro(Clock::time_point t);

}  // namespace lg::kube
