#include "operator/runtime/uid.h"

#include "operator/util/hex.h"

namespace lg::runtime {

Uid Uid::parse(std::string_view s, StringInterner& interner) {
  Uid u;
  if (s.empty()) return u;
  bool ok = s.size() == 36;
  for (std::size_t i = 0, b = 0; ok && i < s.size();) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      ok = s[i] == '-';
      ++i;
      continue;
    }
    const int hi = hexValue(s[i]);
    const int lo = i + 1 < s.size() ? hexValue(s[i + 1]) : -1;
    // Upper-case hex would not round-trip through str(): keep such text verbatim.
    ok = hi >= 0 && lo >= 0 && !(s[i] >= 'A' && s[i] <= 'F') &&
         !(s[i + 1] >= 'A' && s[i + 1] <= 'F');
    if (ok) u.bytes_[b++] = static_cast<std::uint8_t>(hi << 4 | lo);
    i += 2;
  }
  if (!ok) {
    u.bytes_ = {};
    u.raw_ = interner.intern(s);
  }
  return u;
}

std::string Uid::str() const {
  if (!raw_.empty()) return raw_.str();
  if (empty()) return {};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (std::size_t b = 0; b < 16; ++b) {
    if (b == 4 || b == 6 || b == 8 || b == 10) out += '-';
    out += kHex[bytes_[b] >> 4];
    out += kHex[bytes_[b] & 0xf];
  }
  return out;
}

}  // namespace lg::runtime
