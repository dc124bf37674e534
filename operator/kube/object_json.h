#pragma once
// Parsing what the API server sends about many objects: list pages and watch events.
// managedFields, the server-side-apply bookkeeping in every object's metadata, is dropped while
// parsing: LeakGuard's caches never read it, and it is about a third of a pod's JSON, so
// building it into the document only to free it costs allocations on every watch event
// (BENCHMARKS.md, "At scale"). Only the key at the depth of the objects' metadata is dropped
// (never an annotation or a data key of that name); single objects (get, patch, apply) are
// parsed whole by their callers.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace lg::kube {

// Depth of the keys of an object's metadata, as nlohmann's parser counts it.
inline constexpr int kWatchEventMetadataDepth = 3;  // {"object":{"metadata":{...}}}
inline constexpr int kListItemMetadataDepth = 4;    // {"items":[{"metadata":{...}}]}

// The document, or a discarded value (is_discarded()) when `text` is not valid JSON.
nlohmann::json parseObjectJson(std::string_view text, int metadataDepth);

// At most the first 200 bytes of `text`, control characters as '?', for error messages.
std::string jsonExcerpt(std::string_view text);

}  // namespace lg::kube
