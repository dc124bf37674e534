#include "controllers/detect/compressed_series.h"

#include <bit>
#include <cmath>

namespace lg::detect {
namespace {

constexpr uint32_t kEscapeQuotient = 24;  // longer unary parts escape to a raw 64-bit value

uint64_t zigzag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
int64_t unzigzag(uint64_t u) {
  return static_cast<int64_t>(u >> 1) ^ -static_cast<int64_t>(u & 1);
}

uint64_t decode(BitReader& r, int k) {
  const uint32_t q = r.readUnary(kEscapeQuotient);
  if (q == kEscapeQuotient) return r.read(64);
  return (static_cast<uint64_t>(q) << k) | r.read(k);
}

}  // namespace

int CompressedSeries::Adaptive::k() const {
  // Smallest k with n * 2^k >= sum: the Rice parameter for a mean of sum/n.
  int k = 0;
  while ((static_cast<uint64_t>(n) << k) < sum && k < 62)
    ++k;
  return k;
}

void CompressedSeries::Adaptive::update(uint64_t v) {
  sum += static_cast<uint32_t>(std::min<uint64_t>(v, 1u << 24));
  if (++n >= 32) {  // forget slowly: halve both so the mean tracks recent samples
    sum = (sum + 1) / 2;
    n /= 2;
  }
}

CompressedSeries::CompressedSeries(Options opts) : opts_(opts) {
  if (!(opts_.quantum > 0)) opts_.quantum = 1;
  if (opts_.chunkSamples < 2) opts_.chunkSamples = 2;
}

void CompressedSeries::encode(Chunk& c, uint64_t u, Adaptive& a) {
  const int k = a.k();
  const uint64_t q = u >> k;
  if (q >= kEscapeQuotient) {
    // kEscapeQuotient ones with no terminating zero: the reader stops at the cap.
    c.bits.write((uint64_t{1} << kEscapeQuotient) - 1, kEscapeQuotient);
    c.bits.write(u, 64);
  } else {
    c.bits.writeUnary(static_cast<uint32_t>(q));
    c.bits.write(u, k);
  }
  a.update(u);
}

bool CompressedSeries::append(double t, double value) {
  if (!std::isfinite(t) || !std::isfinite(value)) return false;
  const auto ts = static_cast<int64_t>(std::llround(t));
  const auto vq = static_cast<int64_t>(std::llround(value / opts_.quantum));
  if (!chunks_.empty() && ts < lastT_) return false;

  if (chunks_.empty() || chunks_.back().count >= static_cast<uint32_t>(opts_.chunkSamples)) {
    if (!chunks_.empty()) chunks_.back().bits.shrinkToFit();
    chunks_.push_back(Chunk{.t0 = ts, .v0 = vq, .tLast = ts, .count = 1, .bits = {}});
    lastDelta_ = 0;
    timeState_ = {};
    valueState_ = {};
  } else {
    Chunk& c = chunks_.back();
    const int64_t delta = ts - lastT_;
    encode(c, zigzag(delta - lastDelta_), timeState_);
    encode(c, zigzag(vq - lastV_), valueState_);
    lastDelta_ = delta;
    c.tLast = ts;
    ++c.count;
  }
  lastT_ = ts;
  lastV_ = vq;
  ++count_;
  // Retention: drop whole chunks that ended before the horizon (never the open one).
  while (chunks_.size() > 1 && static_cast<double>(chunks_.front().tLast) <
                                   static_cast<double>(ts) - opts_.retentionSeconds) {
    count_ -= chunks_.front().count;
    chunks_.pop_front();
  }
  return true;
}

void CompressedSeries::forEach(const std::function<void(double, double)>& f) const {
  for (const Chunk& c : chunks_) {
    BitReader r(c.bits.words(), c.bits.bitCount());
    int64_t t = c.t0, v = c.v0, delta = 0;
    Adaptive ts, vs;
    f(static_cast<double>(t), static_cast<double>(v) * opts_.quantum);
    for (uint32_t i = 1; i < c.count; ++i) {
      const int kt = ts.k();
      const uint64_t ut = decode(r, kt);
      ts.update(ut);
      const int kv = vs.k();
      const uint64_t uv = decode(r, kv);
      vs.update(uv);
      if (r.overrun()) return;  // cannot happen for data we wrote; do not emit garbage
      delta += unzigzag(ut);
      t += delta;
      v += unzigzag(uv);
      f(static_cast<double>(t), static_cast<double>(v) * opts_.quantum);
    }
  }
}

std::vector<std::pair<double, double>> CompressedSeries::samples() const {
  std::vector<std::pair<double, double>> out;
  out.reserve(count_);
  forEach([&](double t, double v) { out.emplace_back(t, v); });
  return out;
}

std::size_t CompressedSeries::memoryBytes() const {
  std::size_t b = sizeof(*this);
  for (const Chunk& c : chunks_)
    b += sizeof(Chunk) + c.bits.memoryBytes();
  return b;
}

std::size_t CompressedSeries::payloadBits() const {
  std::size_t b = 0;
  for (const Chunk& c : chunks_)
    b += 128 + c.bits.bitCount();  // raw first sample: 2 x 64 bits
  return b;
}

}  // namespace lg::detect
