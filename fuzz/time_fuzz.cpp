// Durations of LeakPolicies ("90s", "1h30m"), RFC 3339 times (API objects, Leases, exec
// credentials' expiry), and Retry-After headers from the API server.
#include "controllers/policy/duration.h"
#include "fuzz/fuzz_input.h"
#include "operator/kube/api_status.h"
#include "operator/kube/rfc3339.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = lg::fuzz::asText(data, size);
  if (auto d = lg::policy::parseDuration(text); d.ok()) LG_FUZZ_CHECK(!std::isnan(*d));
  if (auto t = lg::kube::parseRfc3339(text); t.ok()) {
    // What parsed formats back to a time that parses to the same microsecond.
    auto back = lg::kube::parseRfc3339(lg::kube::formatRfc3339Micro(*t));
    LG_FUZZ_CHECK(back.ok() && std::chrono::floor<std::chrono::microseconds>(*t) == *back);
  }
  if (auto s = lg::kube::parseRetryAfter(text)) LG_FUZZ_CHECK(*s >= 0);
  return 0;
}
