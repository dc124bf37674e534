#include "controllers/detect/bit_stream.h"

namespace lg::detect {

void BitWriter::write(uint64_t value, int bits) {
  if (bits <= 0) return;
  if (bits < 64) value &= (uint64_t{1} << bits) - 1;
  const int used = static_cast<int>(bits_ % 64);
  if (used == 0) words_.push_back(0);
  const int free = 64 - used;
  if (bits <= free) {
    words_.back() |= value << (free - bits);
  } else {
    words_.back() |= value >> (bits - free);
    words_.push_back(value << (64 - (bits - free)));
  }
  bits_ += static_cast<std::size_t>(bits);
}

void BitWriter::writeUnary(uint32_t q) {
  while (q >= 63) {
    write(~uint64_t{0} >> 1, 63);
    q -= 63;
  }
  // q ones followed by a zero.
  write(((uint64_t{1} << q) - 1) << 1, static_cast<int>(q) + 1);
}

uint64_t BitReader::read(int bits) {
  uint64_t out = 0;
  for (int done = 0; done < bits;) {
    if (pos_ >= end_) {
      overrun_ = true;
      return out << (bits - done);
    }
    const std::size_t word = pos_ / 64;
    const int offset = static_cast<int>(pos_ % 64);
    const int avail = std::min<int>(64 - offset, bits - done);
    const int take =
        static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(avail), end_ - pos_));
    const uint64_t chunk = (words_[word] << offset) >> (64 - take);
    out = take == 64 ? chunk : (out << take) | chunk;
    done += take;
    pos_ += static_cast<std::size_t>(take);
  }
  return out;
}

uint32_t BitReader::readUnary(uint32_t cap) {
  uint32_t q = 0;
  while (q < cap) {
    if (pos_ >= end_) {
      overrun_ = true;
      return q;
    }
    const bool one = (words_[pos_ / 64] >> (63 - pos_ % 64)) & 1;
    ++pos_;
    if (!one) return q;
    ++q;
  }
  return q;
}

}  // namespace lg::detect
