#pragma once
// Standard base64 (RFC 4648, with padding) as used in kubeconfig *-data fields, Secrets and
// ExecCredential certificate data. Pure and thread-safe.

#include <string>
#include <string_view>

#include "operator/util/result.h"

namespace lg::kube {

// Decodes standard base64. Whitespace (line breaks of wrapped PEM-in-base64) is skipped; any
// other character outside the alphabet, or bad padding, is an error naming its offset.
Result<std::string> base64Decode(std::string_view text);
std::string base64Encode(std::string_view bytes);

}  // namespace lg::kube
