// printable(): outside bytes made safe for a terminal and for JSON, cut to a length.

#include "operator/util/printable.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace lg {
namespace {

TEST(Printable, KeepsTextAndValidUtf8) {
  EXPECT_EQ(printable("trace.csv"), "trace.csv");
  EXPECT_EQ(printable("mémoire-日本.csv"), "mémoire-日本.csv");
  EXPECT_EQ(printable("\xf0\x9f\x90\x9b"), "\xf0\x9f\x90\x9b");  // U+1F41B
}

TEST(Printable, EscapesInvalidBytesAndControls) {
  EXPECT_EQ(printable("f\xff.csv"), "f\\xff.csv");
  EXPECT_EQ(printable("\xff\xfe"), "\\xff\\xfe");
  EXPECT_EQ(printable("a\tb\x1b[31m"), "a\\x09b\\x1b[31m");
  EXPECT_EQ(printable("\xc0\xaf"), "\\xc0\\xaf");           // overlong '/'
  EXPECT_EQ(printable("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // a surrogate
  EXPECT_EQ(printable("\xe6\x97"), "\\xe6\\x97");           // cut short
  EXPECT_EQ(printable(std::string("a\0b", 3)), "a\\x00b");
  // Whatever the bytes, the result is valid UTF-8: nlohmann dumps it without throwing.
  std::string all;
  for (int i = 0; i < 256; ++i)
    all += static_cast<char>(i);
  EXPECT_NO_THROW(nlohmann::json(printable(all, 1000)).dump());
}

TEST(Printable, CutsLongInputAndSaysHowLong) {
  const std::string big(100 * 1024 * 1024, 'a');
  const std::string p = printable(big);
  EXPECT_EQ(p, std::string(120, 'a') + "... (104857600 bytes)");
  EXPECT_EQ(printable("abcdef", 3), "abc... (6 bytes)");
  // A multi-byte character that does not fit before the cut is escaped, not split.
  EXPECT_EQ(printable("ab\xc3\xa9", 3), "ab\\xc3... (4 bytes)");
}

}  // namespace
}  // namespace lg
