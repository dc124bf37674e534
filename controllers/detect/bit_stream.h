#pragma once
// Bit-level writer and reader over 64-bit words, most significant bit first. The reader works on
// any word span (for example one chunk of a CompressedSeries). Not thread-safe.

#include <algorithm>
#include <cstdint>
#include <span>
#include <vector>

namespace lg::detect {

class BitWriter {
 public:
  // Appends the low `bits` bits of `value` (bits <= 64).
  void write(uint64_t value, int bits);
  // Appends q one-bits and a terminating zero bit.
  void writeUnary(uint32_t q);
  std::size_t bitCount() const { return bits_; }
  const std::vector<uint64_t>& words() const { return words_; }
  void shrinkToFit() { words_.shrink_to_fit(); }
  std::size_t memoryBytes() const { return words_.capacity() * sizeof(uint64_t); }

 private:
  std::vector<uint64_t> words_;
  std::size_t bits_ = 0;
};

class BitReader {
 public:
  BitReader(std::span<const uint64_t> words, std::size_t bitCount)
      : words_(words), end_(bitCount) {}
  // Reads `bits` bits (<= 64). Reading past the end yields zero bits and sets overrun().
  uint64_t read(int bits);
  // Counts one-bits up to the next zero bit (consumed), stopping at `cap`.
  uint32_t readUnary(uint32_t cap);
  bool overrun() const { return overrun_; }
  bool atEnd() const { return pos_ >= end_; }

 private:
  std::span<const uint64_t> words_;
  std::size_t end_;
  std::size_t pos_ = 0;
  bool overrun_ = false;
};

}  // namespace lg::detect
