#include "operator/runtime/compact_string.h"

#include <gtest/gtest.h>

namespace lg::runtime {
namespace {

TEST(CompactStringTest, HoldsTextInEightBytes) {
  EXPECT_EQ(sizeof(CompactString), 8u);
  CompactString s("containerd://0123456789abcdef");
  EXPECT_EQ(s.view(), "containerd://0123456789abcdef");
  EXPECT_EQ(s.heapBytes(), 4u + 29u);
  EXPECT_EQ(s, std::string_view("containerd://0123456789abcdef"));
}

TEST(CompactStringTest, EmptyAllocatesNothing) {
  CompactString e("");
  EXPECT_TRUE(e.empty());
  EXPECT_EQ(e.view(), "");
  EXPECT_EQ(e.heapBytes(), 0u);
  EXPECT_EQ(CompactString(), e);
}

TEST(CompactStringTest, CopiesAndMoves) {
  CompactString a("checkout-7d9f8b6c5-x2k4p");
  CompactString b = a;
  EXPECT_EQ(a, b);
  EXPECT_NE(a.view().data(), b.view().data());
  CompactString c = std::move(a);
  EXPECT_EQ(c.str(), "checkout-7d9f8b6c5-x2k4p");
  b = c;
  const CompactString& same = b;  // through a reference: a compiler warns on a plain `b = b`
  b = same;
  EXPECT_EQ(b, c);
}

}  // namespace
}  // namespace lg::runtime
