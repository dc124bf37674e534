#pragma once
// CompactString: an immutable string in 8 bytes plus one exact-size heap block holding its
// length and characters ("" allocates nothing). For per-object strings that never repeat
// (pod names, container ids), where std::string costs 32 bytes plus a rounded-up block.
// A value type; thread-safe as any const object.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace lg::runtime {

class CompactString {
 public:
  CompactString() = default;
  explicit CompactString(std::string_view s);
  CompactString(const CompactString& o) : CompactString(o.view()) {}
  CompactString(CompactString&&) noexcept = default;
  CompactString& operator=(const CompactString& o) {
    if (this != &o) *this = CompactString(o.view());
    return *this;
  }
  CompactString& operator=(CompactString&&) noexcept = default;

  std::string_view view() const;
  std::string str() const { return std::string(view()); }
  bool empty() const { return !data_; }
  // Heap bytes held (the block, before malloc rounding).
  std::size_t heapBytes() const;

  friend bool operator==(const CompactString& a, const CompactString& b) {
    return a.view() == b.view();
  }
  friend bool operator==(const CompactString& a, std::string_view b) { return a.view() == b; }

 private:
  std::unique_ptr<char[]> data_;  // [uint32 length][chars]
};

}  // namespace lg::runtime
