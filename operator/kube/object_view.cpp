#include "operator/kube/object_view.h"

#include <simdjson.h>

#include <utility>

#include "operator/kube/json_parse.h"

namespace lg::kube {
namespace {

namespace dom = simdjson::dom;

std::string stringOr(simdjson::simdjson_result<dom::element> r) {
  std::string_view s;
  return r.get(s) ? std::string() : std::string(s);
}

// Where a value sits: managedFields is dropped from the object's own metadata only.
enum class Level { kObject, kMetadata, kInside };

nlohmann::json convert(const dom::element& e, Level level) {
  switch (e.type()) {
    case dom::element_type::ARRAY: {
      nlohmann::json a = nlohmann::json::array();
      for (dom::element x : dom::array(e))
        a.push_back(convert(x, Level::kInside));
      return a;
    }
    case dom::element_type::OBJECT: {
      nlohmann::json o = nlohmann::json::object();
      for (dom::key_value_pair kv : dom::object(e)) {
        if (level == Level::kMetadata && kv.key == "managedFields") continue;
        const bool metadata = level == Level::kObject && kv.key == "metadata";
        // Of duplicate keys the first wins, as in every lookup of a view (simdjson's at_key).
        o.emplace(std::string(kv.key),
                  convert(kv.value, metadata ? Level::kMetadata : Level::kInside));
      }
      return o;
    }
    case dom::element_type::INT64:
      return std::int64_t(e);
    case dom::element_type::UINT64:
      return std::uint64_t(e);
    case dom::element_type::DOUBLE:
      return double(e);
    case dom::element_type::STRING:
      return std::string(std::string_view(e));
    case dom::element_type::BOOL:
      return bool(e);
    case dom::element_type::NULL_VALUE:
      return nullptr;
  }
  return nullptr;
}

}  // namespace

std::string ObjectView::key() const {
  const auto meta = (*e_)["metadata"];
  std::string name = stringOr(meta["name"]);
  if (name.empty()) return {};
  std::string ns = stringOr(meta["namespace"]);
  return ns.empty() ? name : ns + "/" + name;
}

std::string ObjectView::resourceVersion() const {
  return stringOr((*e_)["metadata"]["resourceVersion"]);
}

std::string ObjectView::annotation(std::string_view key) const {
  return stringOr((*e_)["metadata"]["annotations"][key]);
}

nlohmann::json ObjectView::toJson() const {
  return convert(*e_, Level::kObject);
}

struct ViewParser::Impl {
  dom::parser parser;
  dom::element root;
  dom::element object;

  // Every number JSON allows (json_parse.h).
  simdjson::error_code parse(std::string_view text, dom::element& out) {
    return parseJson(parser, text, out);
  }
};

ViewParser::ViewParser() : impl_(std::make_unique<Impl>()) {}
ViewParser::~ViewParser() = default;

void ViewParser::release() {
  impl_->parser = dom::parser();
}

Result<ListPageMeta> ViewParser::parseList(std::string_view body,
                                           const std::function<void(const ObjectView&)>& each) {
  dom::element root;
  dom::object list;
  if (auto err = impl_->parse(body, root)) {
    return makeError("list response is not JSON (" + std::string(error_message(err)) + ", " +
                     std::to_string(body.size()) + " bytes)");
  }
  if (root.get(list)) {
    return makeError("list response is not a JSON object (" + std::to_string(body.size()) +
                     " bytes)");
  }
  ListPageMeta meta;
  meta.resourceVersion = stringOr(list["metadata"]["resourceVersion"]);
  meta.continueToken = stringOr(list["metadata"]["continue"]);
  dom::array items;
  if (list["items"].get(items)) return meta;  // absent or null: an empty page
  for (dom::element item : items) {
    if (!item.is_object()) continue;
    ++meta.items;
    each(ObjectView(item));
  }
  return meta;
}

Result<ViewEvent> ViewParser::parseEvent(std::string_view line) {
  dom::element root;
  dom::object event;
  if (impl_->parse(line, root) || root.get(event)) {
    return makeError("watch: not a JSON object: " + jsonExcerpt(line));
  }
  std::string_view type;
  if (event["type"].get(type) || event["object"].get(impl_->object) || !impl_->object.is_object()) {
    return makeError("watch: event without type or object: " + jsonExcerpt(line));
  }
  if (auto t = parseWatchEventType(type)) return ViewEvent{*t, ObjectView(impl_->object)};
  return makeError("watch: unknown event type \"" + jsonExcerpt(type) + "\"");
}

Result<ObjectView> ViewParser::parseObject(std::string_view text) {
  if (impl_->parse(text, impl_->root) || !impl_->root.is_object()) {
    return makeError("not a JSON object: " + jsonExcerpt(text));
  }
  return ObjectView(impl_->root);
}

std::string jsonExcerpt(std::string_view text) {
  std::string s(text.substr(0, 200));
  for (char& c : s) {
    if (static_cast<unsigned char>(c) < 0x20) c = '?';
  }
  return text.size() > 200 ? s + "..." : s;
}

void withObjectView(const nlohmann::json& object, const std::function<void(const ObjectView&)>& f) {
  thread_local ViewParser parser;
  const std::string text = object.dump();
  auto view = parser.parseObject(text);
  if (view) f(*view);
}

}  // namespace lg::kube
