#pragma once
// Uid: an object's metadata.uid in 16 bytes when it is a UUID (always, from a real API server);
// any other text (test fixtures) is kept in an interned fallback. A value type.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "operator/runtime/string_interner.h"

namespace lg::runtime {

class Uid {
 public:
  Uid() = default;
  static Uid parse(std::string_view s, StringInterner& interner = StringInterner::global());

  // The canonical text: lower-case 8-4-4-4-12 hex, or the fallback text.
  std::string str() const;
  // No uid (the nil UUID counts as none).
  bool empty() const { return raw_.empty() && bytes_ == std::array<std::uint8_t, 16>{}; }

  friend bool operator==(const Uid& a, const Uid& b) {
    return a.bytes_ == b.bytes_ && a.raw_ == b.raw_;
  }

 private:
  std::array<std::uint8_t, 16> bytes_{};  // the UUID when raw_ is empty
  InternedString raw_;                    // the text when it is not a UUID
};

}  // namespace lg::runtime
