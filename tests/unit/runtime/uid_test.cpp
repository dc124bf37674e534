#include "operator/runtime/uid.h"

#include <gtest/gtest.h>

namespace lg::runtime {
namespace {

TEST(UidTest, UuidRoundTripsCompactly) {
  StringInterner in;
  const Uid u = Uid::parse("3f1c2b4a-9d8e-4f7a-b6c5-0123456789ab", in);
  EXPECT_EQ(u.str(), "3f1c2b4a-9d8e-4f7a-b6c5-0123456789ab");
  EXPECT_FALSE(u.empty());
  EXPECT_EQ(in.size(), 0u);  // no fallback text
  EXPECT_LE(sizeof(Uid), 24u);
  EXPECT_EQ(u, Uid::parse("3f1c2b4a-9d8e-4f7a-b6c5-0123456789ab", in));
  EXPECT_FALSE(u == Uid::parse("3f1c2b4a-9d8e-4f7a-b6c5-0123456789ac", in));
}

TEST(UidTest, NonUuidTextIsKeptVerbatim) {
  StringInterner in;
  for (const char* s :
       {"uid-1", "3F1C2B4A-9D8E-4F7A-B6C5-0123456789AB", "3f1c2b4a-9d8e-4f7a-b6c5-0123456789a",
        "3f1c2b4a_9d8e-4f7a-b6c5-0123456789ab"}) {
    const Uid u = Uid::parse(s, in);
    EXPECT_EQ(u.str(), s);
    EXPECT_FALSE(u.empty());
  }
}

TEST(UidTest, EmptyIsEmpty) {
  EXPECT_TRUE(Uid().empty());
  EXPECT_TRUE(Uid::parse("").empty());
  EXPECT_EQ(Uid().str(), "");
}

}  // namespace
}  // namespace lg::runtime
