#include "controllers/policy/duration.h"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace lg::policy {

Result<double> parseDuration(std::string_view text) {
  auto bad = [&] {
    return makeError("must be a duration such as 30m, got \"" + std::string(text) + "\"");
  };
  if (text.empty()) return bad();
  double total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t j = i;
    while (j < text.size() && ((text[j] >= '0' && text[j] <= '9') || text[j] == '.'))
      ++j;
    if (j == i) return bad();
    double v = 0;
    const auto [p, ec] = std::from_chars(text.data() + i, text.data() + j, v);
    if (ec != std::errc() || p != text.data() + j) return bad();
    std::size_t k = j;
    while (k < text.size() && text[k] >= 'a' && text[k] <= 'z')
      ++k;
    const std::string_view unit = text.substr(j, k - j);
    if (unit == "ms") {
      total += v / 1000;
    } else if (unit == "s") {
      total += v;
    } else if (unit == "m") {
      total += v * 60;
    } else if (unit == "h") {
      total += v * 3600;
    } else {
      return bad();
    }
    i = k;
  }
  if (!std::isfinite(total)) return bad();
  return total;
}

std::string formatDuration(double seconds) {
  if (!std::isfinite(seconds)) return "never";
  if (seconds < 0) return "-" + formatDuration(-seconds);
  if (seconds == 0) return "0s";
  if (seconds < 1) return std::to_string(static_cast<long>(std::lround(seconds * 1000))) + "ms";
  long s = std::lround(seconds);
  const long h = s / 3600, m = (s % 3600) / 60;
  s %= 60;
  std::string out;
  if (h) out += std::to_string(h) + "h";
  // Beyond a few hours, minutes and seconds are noise in a forecast.
  if (m && h < 10) out += std::to_string(m) + "m";
  if (s && !h && m < 10) out += std::to_string(s) + "s";
  return out.empty() ? "0s" : out;
}

}  // namespace lg::policy
