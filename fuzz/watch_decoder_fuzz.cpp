// One line of a watch stream ({"type":..,"object":..}), and the Status bodies of API errors.
#include "fuzz/fuzz_input.h"
#include "operator/kube/api_status.h"
#include "operator/kube/watch_decoder.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = lg::fuzz::asText(data, size);
  (void)lg::kube::parseWatchEvent(text);
  (void)lg::kube::statusMessage(422, text);
  (void)lg::kube::statusError(500, text);
  return 0;
}
