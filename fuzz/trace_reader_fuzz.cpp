// The usage-trace CSV reader (`leakguard analyze`, `leakguard score`): any bytes, any size.
#include "controllers/detect/trace_reader.h"
#include "fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto trace = lg::detect::parseTrace(lg::fuzz::asText(data, size), "fuzz.csv");
  if (trace.ok()) {
    // Timestamps are what the detector orders by: a parsed row always has one.
    for (const auto& row : trace->rows)
      LG_FUZZ_CHECK(!std::isnan(row.timestamp));
  } else {
    // Errors name the input and a line; they never echo the input whole.
    LG_FUZZ_CHECK(trace.error().message.rfind("fuzz.csv", 0) == 0);
  }
  return 0;
}
