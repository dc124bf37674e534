#pragma once
// The resources LeakGuard watches, with the names used in policies, incidents and metrics.

#include <array>
#include <optional>
#include <string_view>

namespace lg::detect {

enum class Resource { kMemory, kFds, kThreads };

inline constexpr std::array<Resource, 3> kAllResources{Resource::kMemory, Resource::kFds,
                                                       Resource::kThreads};

constexpr std::string_view name(Resource r) {
  switch (r) {
    case Resource::kMemory:
      return "memory";
    case Resource::kFds:
      return "fds";
    case Resource::kThreads:
      return "threads";
  }
  return "?";
}

constexpr std::optional<Resource> parseResource(std::string_view s) {
  for (Resource r : kAllResources)
    if (name(r) == s) return r;
  return std::nullopt;
}

}  // namespace lg::detect
