#pragma once
// What every fuzz target of this folder shares: the input as text, and as JSON when it is JSON
// (nlohmann's parser without exceptions: bytes that are not JSON are not interesting to a
// target that takes a decoded object, the JSON parser itself is not ours to fuzz).

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

namespace lg::fuzz {

inline std::string_view asText(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

inline std::optional<nlohmann::json> asJson(const std::uint8_t* data, std::size_t size) {
  auto j = nlohmann::json::parse(asText(data, size), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

// Aborts the run, so libFuzzer saves the input: for properties a target checks beyond "does not
// crash" (a round trip, a bound).
#define LG_FUZZ_CHECK(cond)        \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)

}  // namespace lg::fuzz
