// The detection wire (controllers/reconcile/detection_wire.h): an agent decodes the controller's
// assignments, and the controller decodes what any node's agent reports, a series and a sizing
// summary. What was decoded encodes and decodes again to the same thing.
#include "controllers/reconcile/detection_wire.h"
#include "fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace lg::reconcile;
  const auto text = lg::fuzz::asText(data, size);
  if (auto r = parseDetectionRequest(text); r.ok()) {
    auto again = parseDetectionRequest(toJson(*r));
    LG_FUZZ_CHECK(again.ok() && again->generation == r->generation &&
                  again->assignment == r->assignment);
  }
  if (auto r = parseDetectionReport(text); r.ok()) {
    auto again = parseDetectionReport(toJson(*r));
    LG_FUZZ_CHECK(again.ok() && again->findings.size() == r->findings.size() &&
                  again->pods.size() == r->pods.size());
  }
  if (auto r = parseSeriesReading(text); r.ok()) {
    auto again = parseSeriesReading(toJson(*r));
    LG_FUZZ_CHECK(again.ok() && again->history == r->history);
  }
  if (auto r = parseSizingReading(text); r.ok()) {
    auto again = parseSizingReading(toJson(*r));
    LG_FUZZ_CHECK(again.ok() && again->has_value() == r->has_value());
  }
  return 0;
}
