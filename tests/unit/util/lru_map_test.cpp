#include "operator/util/lru_map.h"

#include <gtest/gtest.h>

#include <string>

namespace lg {
namespace {

TEST(LruMapTest, DropsTheLeastRecentlyUsedPastItsCapacity) {
  LruMap<std::string, int> m(3);
  m.put("a", 1);
  m.put("b", 2);
  m.put("c", 3);
  ASSERT_NE(m.find("a"), nullptr);  // a is now the most recent: b is the oldest
  m.put("d", 4);
  EXPECT_EQ(m.size(), 3u);
  EXPECT_EQ(m.find("b"), nullptr);
  EXPECT_EQ(*m.find("a"), 1);
  EXPECT_EQ(*m.find("c"), 3);
  EXPECT_EQ(*m.find("d"), 4);
}

TEST(LruMapTest, AnEntryInUseSurvivesAFloodOfNewOnes) {
  LruMap<int, int> m(8);
  m.put(-1, 42);
  for (int i = 0; i < 10000; ++i) {
    m.put(i, i);
    ASSERT_NE(m.find(-1), nullptr) << i;  // used between every two new entries
  }
  EXPECT_EQ(m.size(), 8u);
}

TEST(LruMapTest, PutReplacesAndEraseRemoves) {
  LruMap<std::string, int> m(2);
  m.put("a", 1);
  m.put("a", 5);
  EXPECT_EQ(m.size(), 1u);
  EXPECT_EQ(*m.find("a"), 5);
  EXPECT_TRUE(m.erase("a"));
  EXPECT_FALSE(m.erase("a"));
  EXPECT_EQ(m.find("a"), nullptr);
  EXPECT_EQ(m.size(), 0u);
}

}  // namespace
}  // namespace lg
