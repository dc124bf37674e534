#include "operator/kube/quantity.h"

#include <cmath>
#include <cstdio>
#include <limits>

namespace lg::kube {
namespace {

__extension__ typedef unsigned __int128 u128;

struct Suffix {
  std::string_view text;
  int exp10;
  int exp2;
};

constexpr Suffix kBinarySI[] = {{"Ki", 0, 10}, {"Mi", 0, 20}, {"Gi", 0, 30},
                                {"Ti", 0, 40}, {"Pi", 0, 50}, {"Ei", 0, 60}};
constexpr Suffix kDecimalSI[] = {{"n", -9, 0}, {"u", -6, 0}, {"m", -3, 0}, {"", 0, 0},
                                 {"k", 3, 0},  {"M", 6, 0},  {"G", 9, 0},  {"T", 12, 0},
                                 {"P", 15, 0}, {"E", 18, 0}};
constexpr int kMaxDigits = 19;
// Far beyond any double or int64 magnitude, small enough that exponent sums cannot overflow.
constexpr int kMaxExponent = 100000;

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

Error quantityError(std::string_view text, std::string_view why) {
  return makeError("quantity \"" + std::string(text) + "\": " + std::string(why));
}

u128 pow10(int n) {
  u128 v = 1;
  for (int i = 0; i < n; ++i)
    v *= 10;
  return v;
}

constexpr u128 kInt64Max = static_cast<u128>(std::numeric_limits<int64_t>::max());

}  // namespace

Result<Quantity> Quantity::parse(std::string_view text) {
  if (text.empty()) return quantityError(text, "empty");
  Quantity q;
  q.text_ = std::string(text);
  size_t pos = 0;
  if (text[pos] == '+' || text[pos] == '-') {
    q.negative_ = text[pos] == '-';
    ++pos;
  }
  const size_t intStart = pos;
  while (pos < text.size() && isDigit(text[pos]))
    ++pos;
  const std::string_view intDigits = text.substr(intStart, pos - intStart);
  std::string_view fracDigits;
  if (pos < text.size() && text[pos] == '.') {
    const size_t fracStart = ++pos;
    while (pos < text.size() && isDigit(text[pos]))
      ++pos;
    fracDigits = text.substr(fracStart, pos - fracStart);
  }
  if (intDigits.empty() && fracDigits.empty()) return quantityError(text, "no digits");

  const std::string_view suffix = text.substr(pos);
  int exp10 = 0;
  int exp2 = 0;
  bool found = false;
  for (const Suffix& s : kBinarySI) {
    if (s.text == suffix) {
      exp2 = s.exp2;
      q.format_ = Format::kBinarySI;
      found = true;
    }
  }
  for (const Suffix& s : kDecimalSI) {
    if (s.text == suffix) {
      exp10 = s.exp10;
      q.format_ = Format::kDecimalSI;
      found = true;
    }
  }
  if (!found && suffix.size() >= 2 && (suffix[0] == 'e' || suffix[0] == 'E')) {
    size_t i = 1;
    bool negExp = false;
    if (suffix[i] == '+' || suffix[i] == '-') negExp = suffix[i++] == '-';
    if (i < suffix.size()) {
      found = true;
      for (; i < suffix.size(); ++i) {
        if (!isDigit(suffix[i])) {
          found = false;
          break;
        }
        exp10 = exp10 * 10 + (suffix[i] - '0');
        if (exp10 > kMaxExponent) return quantityError(text, "exponent out of range");
      }
      if (negExp) exp10 = -exp10;
      q.format_ = Format::kDecimalExponent;
    }
  }
  if (!found) {
    return quantityError(text, "unknown suffix \"" + std::string(suffix) +
                                   "\" (want Ki Mi Gi Ti Pi Ei, n u m k M G T P E, or e<int>)");
  }

  // Significant digits: integer and fraction digits without leading and trailing zeros.
  std::string digits = std::string(intDigits) + std::string(fracDigits);
  exp10 -= static_cast<int>(fracDigits.size());
  const size_t first = digits.find_first_not_of('0');
  if (first == std::string::npos) {
    q.mantissa_ = 0;
    q.negative_ = false;  // -0 is 0
    return q;
  }
  digits.erase(0, first);
  while (digits.back() == '0') {
    digits.pop_back();
    ++exp10;
  }
  if (digits.size() > static_cast<size_t>(kMaxDigits)) {
    return quantityError(text, "more than 19 significant digits");
  }
  uint64_t m = 0;
  for (char c : digits)
    m = m * 10 + static_cast<uint64_t>(c - '0');
  q.mantissa_ = m;
  q.exp10_ = exp10;
  q.exp2_ = exp2;
  return q;
}

double Quantity::value() const {
  if (mantissa_ == 0) return 0.0;
  double v = static_cast<double>(mantissa_);
  // Dividing by an exact power of ten rounds once; multiplying by 10^-n would round twice.
  if (exp10_ >= 0) {
    v *= std::pow(10.0, exp10_);
  } else {
    v /= std::pow(10.0, -exp10_);
  }
  v = std::ldexp(v, exp2_);
  return negative_ ? -v : v;
}

namespace {

// |value| * 10^scale: the integer part (saturated above int64's range), and whether a
// remainder was cut off. mantissa < 2^64 and exp2 <= 60, so mantissa * 2^exp2 fits 128 bits.
struct Scaled {
  u128 magnitude = 0;
  bool inexact = false;
  bool overflow = false;
};

Scaled scale(uint64_t mantissa, int exp10, int exp2, int scale10) {
  Scaled s;
  if (mantissa == 0) return s;
  const int e = exp10 + scale10;
  u128 v = static_cast<u128>(mantissa) << exp2;
  if (e >= 0) {
    for (int i = 0; i < e; ++i) {
      v *= 10;
      if (v > kInt64Max + 1) {
        s.overflow = true;
        return s;
      }
    }
    s.magnitude = v;
    s.overflow = v > kInt64Max + 1;
    return s;
  }
  if (-e > 38) {  // 10^39 exceeds 128 bits, and any 128-bit value divided by it is 0.
    s.inexact = true;
    return s;
  }
  const u128 den = pow10(-e);
  s.magnitude = v / den;
  s.inexact = v % den != 0;
  s.overflow = s.magnitude > kInt64Max + 1;
  return s;
}

int64_t toSigned(u128 magnitude, bool negative) {
  if (negative) {
    if (magnitude >= kInt64Max + 1) return std::numeric_limits<int64_t>::min();
    return -static_cast<int64_t>(magnitude);
  }
  if (magnitude > kInt64Max) return std::numeric_limits<int64_t>::max();
  return static_cast<int64_t>(magnitude);
}

}  // namespace

std::optional<int64_t> Quantity::exactInt64() const {
  const Scaled s = scale(mantissa_, exp10_, exp2_, 0);
  if (s.overflow || s.inexact) return std::nullopt;
  if (!negative_ && s.magnitude > kInt64Max) return std::nullopt;
  return toSigned(s.magnitude, negative_);
}

int64_t Quantity::ceilScaled(int scale10) const {
  Scaled s = scale(mantissa_, exp10_, exp2_, scale10);
  if (s.overflow)
    return negative_ ? std::numeric_limits<int64_t>::min() : std::numeric_limits<int64_t>::max();
  // Away from zero, as apimachinery rounds.
  if (s.inexact) ++s.magnitude;
  return toSigned(s.magnitude, negative_);
}

int64_t Quantity::ceilInt64() const {
  return ceilScaled(0);
}

int64_t Quantity::ceilMilli() const {
  return ceilScaled(3);
}

std::string formatBytes(double bytes) {
  if (std::isnan(bytes)) return "NaN";
  if (std::isinf(bytes)) return bytes > 0 ? "+Inf" : "-Inf";
  static constexpr const char* kUnits[] = {"", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"};
  constexpr int kLastUnit = 6;
  double a = std::fabs(bytes);
  int unit = 0;
  while (a >= 1024 && unit < kLastUnit) {
    a /= 1024;
    ++unit;
  }
  // One decimal below 100 (except for plain bytes); rounding may carry into the next unit
  // (1023.96Ki -> "1Mi", not "1024Ki").
  double rounded = 0;
  for (;;) {
    const bool decimal = unit > 0 && a < 100;
    rounded = decimal ? std::round(a * 10) / 10 : std::round(a);
    if (rounded >= 1024 && unit < kLastUnit) {
      a /= 1024;
      ++unit;
      continue;
    }
    break;
  }
  char buf[64];
  if (rounded == std::floor(rounded)) {
    std::snprintf(buf, sizeof buf, "%s%.0f%s", bytes < 0 && rounded != 0 ? "-" : "", rounded,
                  kUnits[unit]);
  } else {
    std::snprintf(buf, sizeof buf, "%s%.1f%s", bytes < 0 ? "-" : "", rounded, kUnits[unit]);
  }
  return buf;
}

}  // namespace lg::kube
