#pragma once
// Compact history of one (time, value) series, for evidence and re-analysis: chunks of
// samples, each chunk starting from a raw sample, then timestamps as delta-of-delta at one-second
// resolution and values as deltas of value/quantum, both zigzag-mapped and Rice-coded with a
// parameter that adapts to the recent magnitudes (as in LOCO-I / JPEG-LS). Steady scrapes cost
// about 3 bits of time; a noisy memory series about 6-9 bits of value: a byte or so per sample,
// where plain Gorilla XOR of doubles spends 4-6 bytes on noisy integers.
//
// Lossy only by quantisation: decoded values are within quantum/2 of what was appended (for
// counts such as fds, quantum 1 is exact). Samples older than the retention are dropped a whole
// chunk at a time. Not thread-safe.

#include <cstdint>
#include <deque>
#include <functional>
#include <utility>
#include <vector>

#include "controllers/detect/bit_stream.h"

namespace lg::detect {

class CompressedSeries {
 public:
  struct Options {
    double quantum = 1;                    // value resolution (64 KiB suits memory bytes)
    double retentionSeconds = 6 * 3600.0;  // keep at least this much history
    int chunkSamples = 256;
  };

  CompressedSeries() : CompressedSeries(Options{}) {}
  explicit CompressedSeries(Options opts);

  // Appends a sample. Returns false (and stores nothing) for a non-finite value or time, or a
  // time earlier than the previous sample's.
  bool append(double t, double value);

  // Calls f(t, value) for every stored sample, oldest first.
  void forEach(const std::function<void(double, double)>& f) const;
  std::vector<std::pair<double, double>> samples() const;

  std::size_t size() const { return count_; }
  // Heap and object bytes held by the series.
  std::size_t memoryBytes() const;
  // Encoded payload bits, excluding allocation slack and chunk headers' object overhead.
  std::size_t payloadBits() const;

 private:
  struct Adaptive {  // running magnitude for the Rice parameter
    uint32_t sum = 4;
    uint32_t n = 1;
    int k() const;
    void update(uint64_t v);
  };
  struct Chunk {
    int64_t t0 = 0;  // first time, seconds
    int64_t v0 = 0;  // first value, quanta
    int64_t tLast = 0;
    uint32_t count = 0;
    BitWriter bits;
  };

  void encode(Chunk& c, uint64_t zigzag, Adaptive& a);

  Options opts_;
  std::deque<Chunk> chunks_;
  // Encoder state of the open chunk.
  int64_t lastT_ = 0, lastDelta_ = 0, lastV_ = 0;
  Adaptive timeState_, valueState_;
  std::size_t count_ = 0;
};

}  // namespace lg::detect
