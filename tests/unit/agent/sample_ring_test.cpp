#include "controllers/agent/sample_ring.h"

#include <gtest/gtest.h>

#include <thread>

namespace lg::agent {
namespace {

AgentSample at(double t) {
  AgentSample s;
  s.time = t;
  return s;
}

std::vector<std::uint64_t> seqs(const SampleRing& ring, std::uint64_t since, std::size_t max,
                                SampleRing::PageInfo* info = nullptr) {
  std::vector<std::uint64_t> out;
  auto i = ring.read(since, max, [&](const AgentSample& s) { out.push_back(s.seq); });
  if (info) *info = i;
  return out;
}

TEST(SampleRing, NumbersSamplesAndPagesFromSince) {
  SampleRing ring(10);
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(ring.push(at(i)), static_cast<std::uint64_t>(i + 1));
  SampleRing::PageInfo info;
  EXPECT_EQ(seqs(ring, 0, 100, &info), (std::vector<std::uint64_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(info.next, 6u);
  EXPECT_FALSE(info.more);
  EXPECT_EQ(seqs(ring, 4, 100, &info), (std::vector<std::uint64_t>{4, 5}));
  EXPECT_EQ(seqs(ring, 6, 100, &info), (std::vector<std::uint64_t>{}));
  EXPECT_EQ(info.next, 6u);
  EXPECT_EQ(seqs(ring, 1, 2, &info), (std::vector<std::uint64_t>{1, 2}));
  EXPECT_TRUE(info.more);
  EXPECT_EQ(info.next, 3u);
}

TEST(SampleRing, BoundedOverwritesTheOldestAndReportsTheLoss) {
  SampleRing ring(4);
  for (int i = 0; i < 10; ++i)
    ring.push(at(i));
  EXPECT_EQ(ring.size(), 4u);
  EXPECT_EQ(ring.overwritten(), 6u);
  SampleRing::PageInfo info;
  EXPECT_EQ(seqs(ring, 3, 100, &info), (std::vector<std::uint64_t>{7, 8, 9, 10}));
  EXPECT_EQ(info.dropped, 4u);  // 3..6 were overwritten before this read
  EXPECT_EQ(info.next, 11u);
  EXPECT_EQ(seqs(ring, 0, 100, &info).front(), 7u);
  EXPECT_EQ(info.dropped, 0u);  // "from the oldest" loses nothing it asked for
}

TEST(SampleRing, ASinceFromAnEarlierRunStartsOver) {
  SampleRing ring(8);
  for (int i = 0; i < 3; ++i)
    ring.push(at(i));
  EXPECT_EQ(seqs(ring, 500, 100), (std::vector<std::uint64_t>{1, 2, 3}));
}

TEST(SampleRing, ConcurrentPushAndRead) {
  SampleRing ring(64);
  std::thread writer([&] {
    for (int i = 0; i < 20000; ++i)
      ring.push(at(i));
  });
  std::uint64_t next = 0, last = 0;
  bool ordered = true;
  while (next < 20001) {
    auto info = ring.read(next, 16, [&](const AgentSample& s) {
      if (s.seq <= last) ordered = false;
      last = s.seq;
    });
    next = info.next;
    if (ring.nextSeq() == 20001 && next == 20001) break;
  }
  writer.join();
  EXPECT_TRUE(ordered);
  EXPECT_EQ(ring.nextSeq(), 20001u);
}

}  // namespace
}  // namespace lg::agent
