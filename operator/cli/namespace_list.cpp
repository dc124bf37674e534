#include "operator/cli/namespace_list.h"

#include <algorithm>

#include "operator/cli/comma_list.h"

namespace lg::cli {
namespace {

bool alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

}  // namespace

bool isNamespaceName(std::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  if (!alnum(name.front()) || !alnum(name.back())) return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return alnum(c) || c == '-'; });
}

Result<std::vector<std::string>> parseNamespaceList(std::string_view text) {
  std::vector<std::string> out;
  for (const std::string_view item : splitCommaList(text)) {
    if (item.empty()) return makeError("empty namespace name in \"" + std::string(text) + "\"");
    if (!isNamespaceName(item))
      return makeError("\"" + std::string(item) +
                       "\" is not a namespace name (at most 63 of a-z, 0-9 and '-', starting "
                       "and ending with a letter or digit)");
    out.emplace_back(item);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace lg::cli
