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

TEST(Rfc3339Test, ErrorsNameTheInput) {
  for (const char* bad :
       {"", "2026-11-25", "2026-11-25T18:00:00", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z",
        "2026-11-25T18:00:00.Z", "2026-11-25T18:00:00Zx", "2026-11-25T18:00:00+0100"}) {
    auto r = parseRfc3339(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_THAT(r.error().message, HasSubstr(std::string("\"") + bad + "\""));
  }
}

}  // namespace
}  // namespace lg::kube
