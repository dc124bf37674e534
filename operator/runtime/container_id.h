#pragma once
// ContainerId: a container's status.containerID ("containerd://<64 hex>", "cri-o://...",
// "docker://...") in 48 bytes with no heap block: the runtime scheme interned and the 64 hex
// digits packed into 32 bytes. Any other text is kept verbatim in a CompactString. A value type.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "operator/runtime/compact_string.h"
#include "operator/runtime/string_interner.h"

namespace lg::runtime {

class ContainerId {
 public:
  ContainerId() = default;
  static ContainerId parse(std::string_view s, StringInterner& interner = StringInterner::global());

  std::string str() const;  // the original text
  bool empty() const { return scheme_.empty() && other_.empty(); }
  // "containerd", "cri-o", ...; "" if not in <scheme>://<64 hex> form.
  std::string_view scheme() const { return scheme_.view(); }
  // Heap bytes held (only for ids in no known form).
  std::size_t heapBytes() const { return other_.heapBytes(); }

  friend bool operator==(const ContainerId& a, const ContainerId& b) {
    return a.scheme_ == b.scheme_ && a.hash_ == b.hash_ && a.other_ == b.other_;
  }

 private:
  InternedString scheme_;  // set when hash_ holds the id
  std::array<std::uint8_t, 32> hash_{};
  CompactString other_;  // the text when it is not <scheme>://<64 hex>
};

}  // namespace lg::runtime
