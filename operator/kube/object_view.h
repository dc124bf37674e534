#pragma once
// What the API server sends about many objects (list pages and watch events), parsed with
// simdjson: an index over the text instead of a document of allocated nodes. The caches project
// each object straight from it (a pod's projection reads a dozen fields of several kilobytes);
// a cache that wants the whole object asks for it as nlohmann::json (toJson, without
// metadata.managedFields). HttpApiClient::list and parseWatchEvent (watch_decoder.h) read
// through it too: one parser, and one place where managedFields is dropped. BENCHMARKS.md,
// "At scale", has what this saves per watch event.
//
// An ObjectView is valid until its ViewParser parses again: project from it, never keep it.
// A ViewParser is for one thread.

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "operator/kube/api_client.h"
#include "operator/util/result.h"

namespace simdjson::dom {
class element;
}  // namespace simdjson::dom

namespace lg::kube {

class ObjectView {
 public:
  explicit ObjectView(const simdjson::dom::element& e) : e_(&e) {}
  const simdjson::dom::element& element() const { return *e_; }
  // "ns/name", or "name" for a cluster-scoped object; "" without metadata.name.
  std::string key() const;
  // metadata.resourceVersion, or "".
  std::string resourceVersion() const;
  // metadata.annotations[key], or "".
  std::string annotation(std::string_view key) const;
  // The whole object without metadata.managedFields.
  nlohmann::json toJson() const;

 private:
  const simdjson::dom::element* e_;
};

// A watch event: its type and its object (for kError, the Status).
struct ViewEvent {
  WatchEvent::Type type;
  ObjectView object;
};

// A list page's own metadata.
struct ListPageMeta {
  std::string resourceVersion;
  std::string continueToken;
  std::size_t items = 0;
};

class ViewParser {
 public:
  ViewParser();
  ~ViewParser();
  ViewParser(const ViewParser&) = delete;
  ViewParser& operator=(const ViewParser&) = delete;

  // A list response: `each` is called with every item that is a JSON object, in order.
  // An Error (code 0) names what is wrong when the body is not a list.
  Result<ListPageMeta> parseList(std::string_view body,
                                 const std::function<void(const ObjectView&)>& each);
  // One line of a watch response. An Error (code 0) quotes at most 200 bytes of the line.
  Result<ViewEvent> parseEvent(std::string_view line);
  // Any JSON object (tests, and caches fed nlohmann documents).
  Result<ObjectView> parseObject(std::string_view text);
  // Gives back the buffers sized by the largest document so far (a list page is ~1,000 times
  // a watch event).
  void release();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// At most the first 200 bytes of `text`, control characters as '?', for error messages.
std::string jsonExcerpt(std::string_view text);

// Calls `f` with a view of `object` (serialised and parsed again: for tests and rare paths).
void withObjectView(const nlohmann::json& object, const std::function<void(const ObjectView&)>& f);

}  // namespace lg::kube
