#pragma once
// Kubernetes resource quantities ("512Mi", "1.5Gi", "250m", "1e3", "2E"), parsed the way
// k8s.io/apimachinery's resource.ParseQuantity reads them:
//   <quantity> ::= <sign>? <digits> [ "." <digits>? ] <suffix>   (or "." <digits>)
//   <suffix>   ::= binarySI: Ki Mi Gi Ti Pi Ei
//                | decimalSI: n u m "" k M G T P E
//                | decimalExponent: e<int> | E<int>    ("1e3", "5E-2")
// A suffix is exactly one of these: "1.5e3Mi" and "1K" are errors. Two deliberate differences
// from apimachinery: a quantity needs at least one digit ("Mi" alone is an error, not 0), and
// at most 19 significant digits (every real quantity has far fewer; it keeps the exact integer
// arithmetic below in 128 bits).
//
// A Quantity is an immutable value; all methods are pure and thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "operator/util/result.h"

namespace lg::kube {

class Quantity {
 public:
  enum class Format { kBinarySI, kDecimalSI, kDecimalExponent };

  // Errors name the input: `quantity "1.5e3Mi": unknown suffix "e3Mi"`.
  static Result<Quantity> parse(std::string_view text);

  // The value in base units (bytes, cores), rounded to the nearest double.
  double value() const;
  // The exact value when it is an integer that fits int64_t ("512Mi"); nullopt for "250m",
  // "0.5" or "100E".
  std::optional<int64_t> exactInt64() const;
  // Rounded up to an integer, like apimachinery's Value() ("250m" -> 1); saturates at the
  // int64_t range.
  int64_t ceilInt64() const;
  // Thousandths of the unit rounded up, like MilliValue() ("250m" -> 250, "1" -> 1000);
  // saturates at the int64_t range.
  int64_t ceilMilli() const;

  bool negative() const { return negative_; }
  bool isZero() const { return mantissa_ == 0; }
  Format format() const { return format_; }
  // The text it was parsed from.
  const std::string& text() const { return text_; }

 private:
  Quantity() = default;
  // value * 10^scale10 rounded up to an integer, saturated.
  int64_t ceilScaled(int scale10) const;

  std::string text_;
  bool negative_ = false;
  // |value| = mantissa_ * 10^exp10_ * 2^exp2_, mantissa_ without trailing zeros.
  uint64_t mantissa_ = 0;
  int exp10_ = 0;
  int exp2_ = 0;
  Format format_ = Format::kDecimalSI;
};

// A short human string for a byte count in binary units with at most one decimal:
// 0 -> "0", 100 -> "100", 3250585 -> "3.1Mi", 536870912 -> "512Mi", -1536 -> "-1.5Ki".
std::string formatBytes(double bytes);

}  // namespace lg::kube
