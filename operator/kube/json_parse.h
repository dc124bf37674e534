#pragma once
// simdjson with every number JSON allows. simdjson refuses integers beyond 64 bits, which JSON
// allows and the API server writes for a float64 from 2^64 to 1e21 (a CRD's `number` field); a
// node agent could send one too. One such number must not make a whole page, stream or object
// unreadable: such a document is read by nlohmann, written back with those numbers as doubles,
// and parsed again. Used by kube::ViewParser and the agent's samples pages.

#include <simdjson.h>

#include <string_view>

namespace lg::kube {

// Parses `text` into `out` (valid until the parser's next parse). Errors as simdjson's.
simdjson::error_code parseJson(simdjson::dom::parser& parser, std::string_view text,
                               simdjson::dom::element& out);

}  // namespace lg::kube
