#pragma once
// One hexadecimal digit's value: 0-15 for 0-9, a-f and A-F, -1 for anything else.

namespace lg {

constexpr int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static_assert(hexValue('7') == 7 && hexValue('b') == 11 && hexValue('F') == 15 &&
              hexValue('g') == -1);

}  // namespace lg
