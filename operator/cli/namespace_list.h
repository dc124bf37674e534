#pragma once
// The namespaces a LeakGuard is scoped to (`--namespaces a,b`, the chart's watchNamespaces).
//
// parseNamespaceList("shop, billing") -> {"billing", "shop"}: split on commas, spaces around
// each name trimmed, sorted, duplicates dropped. "" -> {} (every namespace). A name that is not
// a Kubernetes namespace name (an RFC 1123 label: at most 63 of [a-z0-9-], starting and ending
// with a letter or digit) or an empty item ("a,,b") is an error naming it.
// Pure; thread-safe.

#include <string>
#include <string_view>
#include <vector>

#include "operator/util/result.h"

namespace lg::cli {

Result<std::vector<std::string>> parseNamespaceList(std::string_view text);

// Whether `name` is a valid namespace name (an RFC 1123 label).
bool isNamespaceName(std::string_view name);

}  // namespace lg::cli
