#include "operator/cli/comma_list.h"

namespace lg::cli {

std::string_view trimBlanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> splitCommaList(std::string_view text) {
  std::vector<std::string_view> out;
  if (trimBlanks(text).empty()) return out;
  for (std::size_t pos = 0;;) {
    const std::size_t comma = text.find(',', pos);
    out.push_back(trimBlanks(
        text.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos)));
    if (comma == std::string_view::npos) return out;
    pos = comma + 1;
  }
}

}  // namespace lg::cli
