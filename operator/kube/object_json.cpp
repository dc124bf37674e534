#include "operator/kube/object_json.h"

namespace lg::kube {

nlohmann::json parseObjectJson(std::string_view text) {
  using Event = nlohmann::json::parse_event_t;
  static const nlohmann::json::parser_callback_t dropManagedFields = [](int, Event event,
                                                                        nlohmann::json& parsed) {
    return !(event == Event::key && parsed.is_string() &&
             parsed.get_ref<const std::string&>() == "managedFields");
  };
  return nlohmann::json::parse(text, dropManagedFields, /*allow_exceptions=*/false);
}

}  // namespace lg::kube
