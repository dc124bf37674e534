#include "operator/kube/quantity.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>

namespace lg::kube {
namespace {

using ::testing::HasSubstr;

Quantity q(std::string_view text) {
  auto r = Quantity::parse(text);
  EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.error().message);
  return *r;
}

TEST(QuantityTest, BinarySuffixes) {
  EXPECT_EQ(q("1Ki").exactInt64(), 1024);
  EXPECT_EQ(q("512Mi").exactInt64(), 512LL << 20);
  EXPECT_EQ(q("1.5Gi").exactInt64(), 3LL << 29);
  EXPECT_EQ(q("2Ti").exactInt64(), 2LL << 40);
  EXPECT_EQ(q("1Pi").exactInt64(), 1LL << 50);
  EXPECT_EQ(q("7Ei").exactInt64(), 7LL << 60);
  EXPECT_EQ(q("1Mi").format(), Quantity::Format::kBinarySI);
}

TEST(QuantityTest, DecimalSuffixes) {
  EXPECT_EQ(q("100M").exactInt64(), 100000000);
  EXPECT_EQ(q("1k").exactInt64(), 1000);
  EXPECT_EQ(q("3G").exactInt64(), 3000000000LL);
  EXPECT_EQ(q("2E").exactInt64(), 2000000000000000000LL);
  EXPECT_EQ(q("1T").exactInt64(), 1000000000000LL);
  EXPECT_EQ(q("1P").exactInt64(), 1000000000000000LL);
  EXPECT_DOUBLE_EQ(q("250m").value(), 0.25);
  EXPECT_DOUBLE_EQ(q("5u").value(), 5e-6);
  EXPECT_DOUBLE_EQ(q("7n").value(), 7e-9);
  EXPECT_EQ(q("42").exactInt64(), 42);
  EXPECT_EQ(q("100M").format(), Quantity::Format::kDecimalSI);
}

TEST(QuantityTest, DecimalExponent) {
  EXPECT_EQ(q("1e3").exactInt64(), 1000);
  EXPECT_EQ(q("1E3").exactInt64(), 1000);
  EXPECT_EQ(q("12e+2").exactInt64(), 1200);
  EXPECT_DOUBLE_EQ(q("5e-1").value(), 0.5);
  EXPECT_EQ(q("1e3").format(), Quantity::Format::kDecimalExponent);
}

TEST(QuantityTest, FractionsAndSigns) {
  EXPECT_DOUBLE_EQ(q("0.5").value(), 0.5);
  EXPECT_DOUBLE_EQ(q(".5").value(), 0.5);
  EXPECT_EQ(q("1.").exactInt64(), 1);
  EXPECT_EQ(q("-1Ki").exactInt64(), -1024);
  EXPECT_EQ(q("+2k").exactInt64(), 2000);
  EXPECT_EQ(q("0.5Ki").exactInt64(), 512);
  EXPECT_EQ(q("0.1Ki").exactInt64(), std::nullopt);  // 102.4
  EXPECT_DOUBLE_EQ(q("0.1Ki").value(), 102.4);
  EXPECT_EQ(q("000123").exactInt64(), 123);
  EXPECT_TRUE(q("0").isZero());
  EXPECT_TRUE(q("-0.000").isZero());
  EXPECT_FALSE(q("-0").negative());
}

TEST(QuantityTest, RoundingLikeApimachinery) {
  EXPECT_EQ(q("250m").ceilInt64(), 1);
  EXPECT_EQ(q("250m").ceilMilli(), 250);
  EXPECT_EQ(q("1").ceilMilli(), 1000);
  EXPECT_EQ(q("1.5").ceilMilli(), 1500);
  EXPECT_EQ(q("0.1m").ceilMilli(), 1);
  EXPECT_EQ(q("1n").ceilInt64(), 1);
  EXPECT_EQ(q("1Gi").ceilInt64(), 1LL << 30);
  EXPECT_EQ(q("250m").exactInt64(), std::nullopt);
  EXPECT_EQ(q("-250m").ceilMilli(), -250);
  EXPECT_EQ(q("-1.5").ceilInt64(), -2);  // away from zero
}

TEST(QuantityTest, OverflowSaturatesOrIsNotExact) {
  EXPECT_EQ(q("100E").exactInt64(), std::nullopt);
  EXPECT_EQ(q("100E").ceilInt64(), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(q("-100E").ceilInt64(), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(q("8Ei").exactInt64(), std::nullopt);  // 2^63
  EXPECT_EQ(q("-8Ei").exactInt64(), std::numeric_limits<int64_t>::min());
  EXPECT_EQ(q("9223372036854775807").exactInt64(), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(q("12345678901234567890").exactInt64(), std::nullopt);  // 19 digits after the 0
  EXPECT_EQ(q("1e100").ceilMilli(), std::numeric_limits<int64_t>::max());
  EXPECT_DOUBLE_EQ(q("1e100").value(), 1e100);
  EXPECT_EQ(q("1e-100").ceilInt64(), 1);
}

TEST(QuantityTest, KeepsText) {
  EXPECT_EQ(q("1.5Gi").text(), "1.5Gi");
}

TEST(QuantityTest, ErrorsNameTheInput) {
  for (const char* bad : {"", "Mi", "1.5e3Mi", "1K", "1KI", "1 Mi", "1Mi ", "e3", "1e", "1e+",
                          "1ee3", "--1", "1.2.3", "abc", "1Mi2", "0x10", "1e3.5", "+", "."}) {
    auto r = Quantity::parse(bad);
    ASSERT_FALSE(r.ok()) << "accepted \"" << bad << "\"";
    EXPECT_THAT(r.error().message, HasSubstr("\"" + std::string(bad) + "\"")) << bad;
  }
  EXPECT_THAT(Quantity::parse("1.5e3Mi").error().message, HasSubstr("unknown suffix \"e3Mi\""));
  EXPECT_THAT(Quantity::parse("12345678901234567891").error().message,
              HasSubstr("significant digits"));
  EXPECT_THAT(Quantity::parse("1e999999").error().message, HasSubstr("exponent"));
}

TEST(FormatBytesTest, ShortHumanStrings) {
  EXPECT_EQ(formatBytes(0), "0");
  EXPECT_EQ(formatBytes(100), "100");
  EXPECT_EQ(formatBytes(1023), "1023");
  EXPECT_EQ(formatBytes(1024), "1Ki");
  EXPECT_EQ(formatBytes(1536), "1.5Ki");
  EXPECT_EQ(formatBytes(3.1 * 1024 * 1024), "3.1Mi");
  EXPECT_EQ(formatBytes(3250585), "3.1Mi");
  EXPECT_EQ(formatBytes(512.0 * (1 << 20)), "512Mi");
  EXPECT_EQ(formatBytes(1.5 * (1 << 30)), "1.5Gi");
  EXPECT_EQ(formatBytes(123.4 * (1 << 20)), "123Mi");
  EXPECT_EQ(formatBytes(1023.97 * 1024), "1Mi");  // rounding carries into the next unit
  EXPECT_EQ(formatBytes(-1536), "-1.5Ki");
  EXPECT_EQ(formatBytes(2.0 * (1LL << 60)), "2Ei");
  EXPECT_EQ(formatBytes(4096.0 * (1LL << 60)), "4096Ei");
}

}  // namespace
}  // namespace lg::kube
