#pragma once
// Parsing the API server's objects: lists, watch events and the objects of other responses.
// managedFields, the server-side-apply bookkeeping in every object's metadata, is dropped while
// parsing: LeakGuard never reads it, and it is about a third of a pod's JSON, so building it
// into the document only to free it costs allocations on every watch event (BENCHMARKS.md,
// "At scale").

#include <nlohmann/json.hpp>
#include <string_view>

namespace lg::kube {

// The document, or a discarded value (is_discarded()) when `text` is not valid JSON.
nlohmann::json parseObjectJson(std::string_view text);

}  // namespace lg::kube
