// Kubernetes quantities ("512Mi", "1.5e9", "250m"): kube::Quantity (limits, requests from the
// API server and from policies) and the pod projection's byte parser.
#include "fuzz/fuzz_input.h"
#include "operator/kube/quantity.h"
#include "operator/runtime/pod_projection.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = lg::fuzz::asText(data, size);
  if (auto q = lg::kube::Quantity::parse(text); q.ok()) {
    (void)q->value();
    (void)q->exactInt64();
    (void)q->ceilInt64();
    (void)q->ceilMilli();
    LG_FUZZ_CHECK(q->isZero() || !q->text().empty());
  }
  if (auto bytes = lg::runtime::parseQuantityBytes(text))
    LG_FUZZ_CHECK(*bytes >= 0 || text[0] == '-');
  return 0;
}
