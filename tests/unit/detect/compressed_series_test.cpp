#include "controllers/detect/compressed_series.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "controllers/detect/bit_stream.h"

namespace lg::detect {
namespace {

TEST(BitStream, RoundTripsMixedWidths) {
  BitWriter w;
  w.write(0b101, 3);
  w.write(0xDEADBEEFCAFEF00DULL, 64);
  w.writeUnary(70);
  w.write(1, 1);
  BitReader r(w.words(), w.bitCount());
  EXPECT_EQ(r.read(3), 0b101u);
  EXPECT_EQ(r.read(64), 0xDEADBEEFCAFEF00DULL);
  EXPECT_EQ(r.readUnary(1000), 70u);
  EXPECT_EQ(r.read(1), 1u);
  EXPECT_TRUE(r.atEnd());
  EXPECT_FALSE(r.overrun());
  r.read(5);
  EXPECT_TRUE(r.overrun());
}

TEST(CompressedSeries, CountsRoundTripExactly) {
  CompressedSeries s({.quantum = 1, .retentionSeconds = 1e9, .chunkSamples = 100});
  std::mt19937_64 rng(1);
  std::vector<std::pair<double, double>> in;
  double fds = 50;
  for (int i = 0; i < 1000; ++i) {
    fds = std::max(0.0, fds + std::uniform_int_distribution<int>(-3, 5)(rng));
    const double t = 1.7e9 + i * 30 + std::uniform_int_distribution<int>(-2, 2)(rng);
    in.emplace_back(std::round(t), fds);
    ASSERT_TRUE(s.append(t, fds));
  }
  const auto out = s.samples();
  ASSERT_EQ(out.size(), in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    EXPECT_EQ(out[i].first, in[i].first) << i;
    EXPECT_EQ(out[i].second, in[i].second) << i;
  }
}

TEST(CompressedSeries, NoisyMemoryCostsUnderTwoBytesPerSample) {
  const double quantum = 64 * 1024;
  CompressedSeries s({.quantum = quantum, .retentionSeconds = 1e9, .chunkSamples = 256});
  std::mt19937_64 rng(2);
  std::normal_distribution<double> noise(0, 4e6);  // 4 MB of scrape-to-scrape noise
  std::vector<double> in;
  for (int i = 0; i < 1440; ++i) {  // 6 h at 15 s, jittered
    const double t = 1.7e9 + i * 15 + std::uniform_real_distribution<double>(-1.5, 1.5)(rng);
    const double v = 500e6 + i * 1e5 + noise(rng);
    in.push_back(v);
    s.append(t, v);
  }
  const auto out = s.samples();
  ASSERT_EQ(out.size(), in.size());
  for (std::size_t i = 0; i < in.size(); ++i)
    EXPECT_LE(std::abs(out[i].second - in[i]), quantum / 2 + 1e-6) << i;
  const double bytesPerSample = s.payloadBits() / 8.0 / static_cast<double>(s.size());
  EXPECT_LT(bytesPerSample, 2.0);
  EXPECT_LT(static_cast<double>(s.memoryBytes()) / static_cast<double>(s.size()), 2.5);
}

TEST(CompressedSeries, HugeJumpsEscape) {
  CompressedSeries s({.quantum = 1, .retentionSeconds = 1e9, .chunkSamples = 16});
  const double vals[] = {0, 1, 1e15, 2, 9e15, 0};
  double t = 0;
  for (double v : vals)
    s.append(t += 10, v);
  s.append(t + 1e9, 3);  // a huge time gap too
  const auto out = s.samples();
  ASSERT_EQ(out.size(), 7u);
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(out[i].second, vals[i]);
  EXPECT_EQ(out[6].first, t + 1e9);
}

TEST(CompressedSeries, RetentionDropsWholeOldChunks) {
  CompressedSeries s({.quantum = 1, .retentionSeconds = 3600, .chunkSamples = 60});
  for (int i = 0; i < 24 * 60; ++i)
    s.append(i * 60.0, i);  // one day at one a minute
  const auto out = s.samples();
  ASSERT_FALSE(out.empty());
  const double newest = out.back().first;
  EXPECT_GE(out.front().first, newest - 3600 - 60 * 60);  // at most one extra chunk
  EXPECT_LE(out.front().first, newest - 3600);            // but the full hour is kept
  EXPECT_EQ(s.size(), out.size());
}

TEST(CompressedSeries, RejectsOutOfOrderAndNonFinite) {
  CompressedSeries s;
  EXPECT_TRUE(s.append(100, 1));
  EXPECT_FALSE(s.append(50, 1));
  EXPECT_FALSE(s.append(NAN, 1));
  EXPECT_FALSE(s.append(200, INFINITY));
  EXPECT_EQ(s.size(), 1u);
}

}  // namespace
}  // namespace lg::detect
