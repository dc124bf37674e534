#include "operator/kube/base64.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

namespace lg::kube {
namespace {

using ::testing::HasSubstr;

TEST(Base64Test, RoundTrips) {
  for (const std::string& s : std::vector<std::string>{"", "f", "fo", "foo", "foob", "fooba",
                                                       "foobar", std::string("\0\xff\x10", 3)}) {
    auto d = base64Decode(base64Encode(s));
    ASSERT_TRUE(d.ok()) << s;
    EXPECT_EQ(*d, s);
  }
  EXPECT_EQ(base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64Encode("fo"), "Zm8=");
}

TEST(Base64Test, SkipsLineBreaksAndAcceptsMissingPadding) {
  EXPECT_EQ(*base64Decode("Zm9v\nYmFy\r\n"), "foobar");
  EXPECT_EQ(*base64Decode("Zm8"), "fo");
}

TEST(Base64Test, RejectsGarbage) {
  EXPECT_THAT(base64Decode("Zm9v!").error().message, HasSubstr("offset 4"));
  EXPECT_FALSE(base64Decode("Z").ok());
  EXPECT_FALSE(base64Decode("Zm8=x").ok());
  EXPECT_FALSE(base64Decode("Zm===").ok());
  EXPECT_FALSE(base64Decode("Zg=").ok());
}

}  // namespace
}  // namespace lg::kube
