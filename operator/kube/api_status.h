#pragma once
// Turns an API server error response into an Error whose message a user can act on. The body is
// usually a metav1.Status:
//   {"kind":"Status","status":"Failure","message":"LeakPolicy.leakguard.io \"p\" is invalid: ...",
//    "reason":"Invalid","details":{"causes":[{"field":"spec.playbook[1].when.exhaustionWithin",
//    "message":"Invalid value: \"30\": ..."}]},"code":422}
// The message keeps the server's text and appends each cause ("field: message") it does not
// already contain. A body that is not a Status (a proxy's HTML page) is quoted, cut to 256 bytes
// with control characters replaced. Pure and thread-safe.

#include <optional>
#include <string>
#include <string_view>

#include "operator/util/result.h"

namespace lg::kube {

// The message for an error response with this code and body.
std::string statusMessage(int httpCode, std::string_view body);
// The Error for it: code is the HTTP status.
Error statusError(int httpCode, std::string_view body);
// Parses Retry-After in delta-seconds form ("3"); nullopt for absent or other forms.
std::optional<int> parseRetryAfter(std::string_view value);

}  // namespace lg::kube
