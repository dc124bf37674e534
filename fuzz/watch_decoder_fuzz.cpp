// One line of a watch stream ({"type":..,"object":..}) as the nlohmann decoder and as the caches'
// ViewParser read it, the same bytes as a list page, and the Status bodies of API errors.
#include "fuzz/fuzz_input.h"
#include "operator/kube/api_status.h"
#include "operator/kube/object_view.h"
#include "operator/kube/watch_decoder.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = lg::fuzz::asText(data, size);
  (void)lg::kube::parseWatchEvent(text);
  lg::kube::ViewParser parser;
  if (auto event = parser.parseEvent(text)) {
    (void)event->object.key();
    (void)event->object.resourceVersion();
    (void)event->object.annotation(lg::kube::kInitialEventsEnd);
    (void)event->object.toJson();
  }
  (void)parser.parseList(text, [](const lg::kube::ObjectView& item) { (void)item.toJson(); });
  (void)lg::kube::statusMessage(422, text);
  (void)lg::kube::statusError(500, text);
  return 0;
}
