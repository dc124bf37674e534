#include "operator/kube/rfc3339.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace lg::kube {
namespace {

using namespace std::chrono;
using ::testing::HasSubstr;

TEST(Rfc3339Test, ParsesUtcAndOffsets) {
  auto t = parseRfc3339("2026-11-25T18:00:00Z");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(duration_cast<seconds>(t->time_since_epoch()).count(), 1795629600);
  auto offset = parseRfc3339("2026-11-25T19:30:00+01:30");
  ASSERT_TRUE(offset.ok());
  EXPECT_EQ(*offset, *t);
  auto micro = parseRfc3339("2026-11-25T18:00:00.123456789Z");
  ASSERT_TRUE(micro.ok());
  EXPECT_EQ(duration_cast<microseconds>(*micro - *t).count(), 123456);
}

TEST(Rfc3339Test, FormatsSecondsAndMicros) {
  const Clock::time_point t = sys_days{year{2026} / 11 / 25} + hours{18} + microseconds{42};
  EXPECT_EQ(formatRfc3339(t), "2026-11-25T18:00:00Z");
  EXPECT_EQ(formatRfc3339Micro(t), "2026-11-25T18:00:00.000042Z");
  EXPECT_EQ(*parseRfc3339(formatRfc3339Micro(t)), t);
}

TEST(Rfc3339Test, KeepsNanosecondsAndMicroTimeRoundTrips) {
  // metav1.MicroTime, as Leases carry it; more fraction digits than Clock holds are dropped.
  const Clock::time_point t = sys_days{year{2026} / 3 / 4} + 5h + 6min + 7s + 123456us;
  EXPECT_EQ(formatRfc3339Micro(t), "2026-03-04T05:06:07.123456Z");
  EXPECT_EQ(*parseRfc3339("2026-03-04T07:06:07.123456+02:00"), t);
  EXPECT_EQ(*parseRfc3339("2026-03-04T05:06:07.1234567891Z"), t - 123456us + 123456789ns);
}

// Found by fuzz/time_fuzz: a year past 2262 overflowed the nanosecond clock (UBSan: signed
// integer overflow) in both RFC 3339 parsers the project had; a metrics-server timestamp or a
// Lease's renewTime could carry one.
TEST(Rfc3339Test, RefusesTimesOutsideWhatTheClockHolds) {
  for (const char* far : {"6176-12-06T16:48:18Z", "5574-12-06T16:48:18Z", "9999-12-31T23:59:59Z",
                          "0000-01-01T00:00:00Z", "1677-09-21T00:12:43Z"}) {
    auto r = parseRfc3339(far);
    ASSERT_FALSE(r.ok()) << far;
    EXPECT_THAT(r.error().message, HasSubstr("outside the years 1678 to 2261")) << far;
  }
  EXPECT_TRUE(parseRfc3339("2261-12-31T23:59:59Z").ok());
  EXPECT_TRUE(parseRfc3339("1678-01-01T00:00:00Z").ok());
}

// Found by fuzz/time_fuzz (the input is in its corpus): before 1970 the formatter rounded the
// sub-microsecond part toward zero, so the text named a later time than the one formatted.
TEST(Rfc3339Test, FormattingBeforeTheEpochTruncatesDownward) {
  auto t = parseRfc3339("1913-12-06T16:48:18.1444444444444Z");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(formatRfc3339Micro(*t), "1913-12-06T16:48:18.144444Z");
  EXPECT_EQ(*parseRfc3339(formatRfc3339Micro(*t)), floor<microseconds>(*t));
  EXPECT_EQ(formatRfc3339(*t), "1913-12-06T16:48:18Z");
}

TEST(Rfc3339Test, ErrorsNameTheInput) {
  for (const char* bad : {"", "2026-11-25", "2026-11-25T18:00:00", "2026-13-01T00:00:00Z",
                          "2026-02-30T00:00:00Z", "2026-11-25T18:00:00.Z", "2026-11-25T18:00:00Zx",
                          "2026-11-25T18:00:00+0100", "2026-11-25 18:00:00Z"}) {
    auto r = parseRfc3339(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_THAT(r.error().message, HasSubstr(std::string("\"") + bad + "\""));
  }
}

}  // namespace
}  // namespace lg::kube
