#pragma once
// Durations as LeakPolicies write them: a sequence of <number><unit>, unit one of ms, s, m, h
// ("30m", "1h30m", "1.5h", "500ms"), the same form the CRD's CEL rule accepts. Pure functions.

#include <string>
#include <string_view>

#include "operator/util/result.h"

namespace lg::policy {

// Seconds. Errors: `must be a duration such as 30m, got "30"`.
Result<double> parseDuration(std::string_view text);

// A short human form: 90 -> "1m30s", 3600 -> "1h", 0.5 -> "500ms", 2*86400 -> "48h".
std::string formatDuration(double seconds);

}  // namespace lg::policy
