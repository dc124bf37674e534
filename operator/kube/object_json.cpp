#include "operator/kube/object_json.h"

namespace lg::kube {

nlohmann::json parseObjectJson(std::string_view text, int metadataDepth) {
  using Event = nlohmann::json::parse_event_t;
  const nlohmann::json::parser_callback_t dropManagedFields =
      [metadataDepth](int depth, Event event, nlohmann::json& parsed) {
        return !(event == Event::key && depth == metadataDepth && parsed.is_string() &&
                 parsed.get_ref<const std::string&>() == "managedFields");
      };
  return nlohmann::json::parse(text, dropManagedFields, /*allow_exceptions=*/false);
}

}  // namespace lg::kube
