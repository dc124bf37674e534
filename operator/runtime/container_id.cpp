#include "operator/runtime/container_id.h"

namespace lg::runtime {

namespace {
int lowerHex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;  // upper case would not round-trip
}
}  // namespace

ContainerId ContainerId::parse(std::string_view s, StringInterner& interner) {
  ContainerId id;
  if (s.empty()) return id;
  const auto sep = s.find("://");
  if (sep != std::string_view::npos && sep > 0 && s.size() - sep - 3 == 64) {
    const std::string_view hex = s.substr(sep + 3);
    bool ok = true;
    for (std::size_t i = 0; ok && i < 32; ++i) {
      const int hi = lowerHex(hex[2 * i]);
      const int lo = lowerHex(hex[2 * i + 1]);
      ok = hi >= 0 && lo >= 0;
      if (ok) id.hash_[i] = static_cast<std::uint8_t>(hi << 4 | lo);
    }
    if (ok) {
      id.scheme_ = interner.intern(s.substr(0, sep));
      return id;
    }
    id.hash_ = {};
  }
  id.other_ = CompactString(s);
  return id;
}

std::string ContainerId::str() const {
  if (scheme_.empty()) return other_.str();
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(scheme_.view());
  out += "://";
  for (std::uint8_t b : hash_) {
    out += kHex[b >> 4];
    out += kHex[b & 0xf];
  }
  return out;
}

}  // namespace lg::runtime
