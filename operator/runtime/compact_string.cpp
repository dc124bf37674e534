#include "operator/runtime/compact_string.h"

#include <algorithm>
#include <cstring>
#include <limits>

namespace lg::runtime {

CompactString::CompactString(std::string_view s) {
  if (s.empty()) return;
  const auto n = static_cast<std::uint32_t>(
      std::min<std::size_t>(s.size(), std::numeric_limits<std::uint32_t>::max()));
  data_ = std::make_unique_for_overwrite<char[]>(sizeof(std::uint32_t) + n);
  std::memcpy(data_.get(), &n, sizeof n);
  std::memcpy(data_.get() + sizeof n, s.data(), n);
}

std::string_view CompactString::view() const {
  if (!data_) return {};
  std::uint32_t n;
  std::memcpy(&n, data_.get(), sizeof n);
  return {data_.get() + sizeof n, n};
}

std::size_t CompactString::heapBytes() const {
  return data_ ? sizeof(std::uint32_t) + view().size() : 0;
}

}  // namespace lg::runtime
