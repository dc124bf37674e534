#include "operator/kube/json_parse.h"

#include <nlohmann/json.hpp>
#include <string>

namespace lg::kube {

simdjson::error_code parseJson(simdjson::dom::parser& parser, std::string_view text,
                               simdjson::dom::element& out) {
  auto err = parser.parse(text.data(), text.size()).get(out);
  if (err != simdjson::NUMBER_OUT_OF_RANGE && err != simdjson::NUMBER_ERROR) return err;
  const auto doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return err;
  const std::string again = doc.dump();
  return parser.parse(again.data(), again.size()).get(out);
}

}  // namespace lg::kube
