#include "operator/kube/rfc3339.h"

#include <chrono>
#include <cstdio>

namespace lg::kube {
namespace {

Error timeError(std::string_view text, std::string_view why) {
  return makeError("timestamp \"" + std::string(text) + "\": " + std::string(why));
}

// Reads exactly n digits at pos.
bool readDigits(std::string_view s, size_t& pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (size_t i = 0; i < n; ++i) {
    const char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    out = out * 10 + (c - '0');
  }
  pos += n;
  return true;
}

bool expect(std::string_view s, size_t& pos, char c) {
  if (pos >= s.size() || s[pos] != c) return false;
  ++pos;
  return true;
}

std::string format(Clock::time_point t, bool micro) {
  using namespace std::chrono;
  // floor, not duration_cast: before 1970 a cast rounds toward zero, a later time.
  const auto us = floor<microseconds>(t.time_since_epoch());
  auto days = floor<std::chrono::days>(us);
  const year_month_day ymd{sys_days{days}};
  auto rest = us - days;
  const auto h = duration_cast<hours>(rest);
  rest -= h;
  const auto m = duration_cast<minutes>(rest);
  rest -= m;
  const auto s = duration_cast<seconds>(rest);
  rest -= s;
  char buf[64];
  if (micro) {
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%06dZ", int(ymd.year()),
                  unsigned(ymd.month()), unsigned(ymd.day()), int(h.count()), int(m.count()),
                  int(s.count()), int(rest.count()));
  } else {
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", int(ymd.year()),
                  unsigned(ymd.month()), unsigned(ymd.day()), int(h.count()), int(m.count()),
                  int(s.count()));
  }
  return buf;
}

}  // namespace

Result<Clock::time_point> parseRfc3339(std::string_view text) {
  using namespace std::chrono;
  size_t pos = 0;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  const bool ok =
      readDigits(text, pos, 4, y) && expect(text, pos, '-') && readDigits(text, pos, 2, mo) &&
      expect(text, pos, '-') && readDigits(text, pos, 2, d) &&
      (expect(text, pos, 'T') || expect(text, pos, 't')) && readDigits(text, pos, 2, h) &&
      expect(text, pos, ':') && readDigits(text, pos, 2, mi) && expect(text, pos, ':') &&
      readDigits(text, pos, 2, s);
  if (!ok) return timeError(text, "want YYYY-MM-DDThh:mm:ss[.frac](Z|+hh:mm)");
  // Any number of fraction digits; nanoseconds are kept (what Clock holds), the rest dropped.
  int64_t nanos = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 9) nanos = nanos * 10 + (text[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return timeError(text, "empty fraction");
    for (int i = digits; i < 9; ++i)
      nanos *= 10;
  }
  int offsetMinutes = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const int sign = text[pos] == '-' ? -1 : 1;
    ++pos;
    int oh = 0, om = 0;
    if (!readDigits(text, pos, 2, oh) || !expect(text, pos, ':') || !readDigits(text, pos, 2, om))
      return timeError(text, "bad zone offset");
    offsetMinutes = sign * (oh * 60 + om);
  } else {
    return timeError(text, "missing zone (Z or +hh:mm)");
  }
  if (pos != text.size()) return timeError(text, "trailing characters");
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)},
                           day{static_cast<unsigned>(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || s > 60) return timeError(text, "field out of range");
  // Clock counts nanoseconds in 64 bits: 1677-09-21 to 2262-04-11. Seconds since the epoch fit
  // for every four-digit year; a time outside that span is refused rather than overflowed.
  const auto secs = sys_days{ymd} + hours{h} + minutes{mi} + seconds{s} - minutes{offsetMinutes};
  constexpr auto kMin = time_point_cast<seconds>(Clock::time_point::min()) + seconds{1};
  constexpr auto kMax = time_point_cast<seconds>(Clock::time_point::max()) - seconds{1};
  if (secs < kMin || secs > kMax) return timeError(text, "outside the years 1678 to 2261");
  return Clock::time_point{duration_cast<Clock::time_point::duration>(secs.time_since_epoch()) +
                           nanoseconds{nanos}};
}

std::string formatRfc3339(Clock::time_point t) {
  return format(t, false);
}

std::string formatRfc3339Micro(Clock::time_point t) {
  return format(t, true);
}

}  // namespace lg::kube
