#include "controllers/detect/block_pyramid.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace lg::detect {
namespace {

TEST(BlockPyramid, ClosesBlocksWithTheirMinAndMax) {
  BlockPyramid p(120, 3);
  EXPECT_EQ(p.add(0, 10), 0u);
  EXPECT_EQ(p.add(60, 30), 0u);
  // t=120 opens block 1 of level 0: level 0 closed; level 1 (240 s) is still open.
  EXPECT_EQ(p.add(120, 20), 1u);
  std::vector<BlockPyramid::Block> b;
  p.closed(0, 48, b);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0].index, 0);
  EXPECT_NEAR(b[0].min, 10, 0.01);
  EXPECT_NEAR(b[0].max, 30, 0.01);
  EXPECT_EQ(p.add(240, 5), 0b11u);
  p.closed(1, 48, b);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_NEAR(b[0].min, 10, 0.01);
  EXPECT_NEAR(b[0].max, 30, 0.01);
}

TEST(BlockPyramid, GapsLeaveEmptySlots) {
  BlockPyramid p(120, 1);
  p.add(0, 1);
  p.add(120, 2);
  p.add(1200, 3);  // blocks 2..9 saw nothing
  p.add(1320, 4);
  std::vector<BlockPyramid::Block> b;
  p.closed(0, 48, b);
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b[0].index, 0);
  EXPECT_EQ(b[1].index, 1);
  EXPECT_EQ(b[2].index, 10);
}

TEST(BlockPyramid, KeepsOnlyTheRing) {
  BlockPyramid p(120, 1);
  for (int i = 0; i < 200; ++i)
    p.add(i * 120.0, i);
  std::vector<BlockPyramid::Block> b;
  p.closed(0, 1000, b);
  ASSERT_EQ(b.size(), static_cast<std::size_t>(BlockPyramid::kRing));
  EXPECT_EQ(b.back().index, 198);
  EXPECT_NEAR(b.back().min, 198, 0.01);
}

TEST(BlockPyramid, RescalingPreservesValues) {
  BlockPyramid p(120, 2);
  p.add(0, 100);
  p.add(120, 90);
  p.add(240, 1e6);  // far above the initial scale: everything is requantised
  p.add(360, 1e6);
  std::vector<BlockPyramid::Block> b;
  p.closed(0, 48, b);
  ASSERT_EQ(b.size(), 3u);
  // Quantisation error is at most scale / 65534 (scale = 2e6 here): about 31.
  EXPECT_NEAR(b[0].min, 100, 32);
  EXPECT_NEAR(b[2].max, 1e6, 32);
}

TEST(BlockPyramid, IgnoresSamplesFromThePastAndNonFinite) {
  BlockPyramid p(120, 1);
  p.add(1000, 5);
  EXPECT_EQ(p.add(10, 50), 0u);
  EXPECT_EQ(p.add(NAN, 50), 0u);
  EXPECT_EQ(p.add(1010, INFINITY), 0u);
  p.add(1200, 7);
  std::vector<BlockPyramid::Block> b;
  p.closed(0, 48, b);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_NEAR(b[0].max, 5, 0.01);
}

TEST(BlockPyramid, RecentExtremes) {
  BlockPyramid p(120, 1);
  EXPECT_TRUE(std::isnan(p.recentMax(8)));
  for (int i = 0; i < 20; ++i)
    p.add(i * 120.0, 100 + i);
  EXPECT_NEAR(p.recentMax(8), 119, 0.01);  // the open block counts too
  EXPECT_NEAR(p.recentMin(8), 111, 0.01);
}

}  // namespace
}  // namespace lg::detect
