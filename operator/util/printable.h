#pragma once
// Bytes from outside (a file name, a field of a file, what a server answered) made safe to print
// and to put in JSON: valid UTF-8 is kept, every byte that is not (and every control character)
// is written as \xNN, and anything longer than `maxBytes` is cut, saying how long it was:
// "f\xff.csv", "aaaa... (104857600 bytes)". Pure.

#include <cstddef>
#include <string>
#include <string_view>

namespace lg {

std::string printable(std::string_view s, std::size_t maxBytes = 120);

}  // namespace lg
