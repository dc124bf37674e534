#pragma once
// A flag's comma-separated list ("a, b,c"): split on commas, spaces and tabs around each item
// trimmed. A blank text is no item; an empty item ("a,,b") is kept as "" for the caller to
// refuse by name. Used by --namespaces and --actions. Pure.

#include <string_view>
#include <vector>

namespace lg::cli {

std::string_view trimBlanks(std::string_view s);
std::vector<std::string_view> splitCommaList(std::string_view text);

}  // namespace lg::cli
