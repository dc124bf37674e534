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

std::string jsonExcerpt(std::string_view text) {
  std::string s(text.substr(0, 200));
  for (char& c : s) {
    if (static_cast<unsigned char>(c) < 0x20) c = '?';
  }
  return text.size() > 200 ? s + "..." : s;
}

}  // namespace lg::kube
