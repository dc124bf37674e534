#include "operator/kube/api_client.h"

namespace lg::kube {

std::string ResourceRef::path() const {
  std::string p = group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;
  if (!ns.empty()) p += "/namespaces/" + ns;
  p += "/" + resource;
  if (!name.empty()) p += "/" + name;
  if (!subresource.empty()) p += "/" + subresource;
  return p;
}

namespace {

constexpr std::pair<std::string_view, WatchEvent::Type> kEventTypes[] = {
    {"ADDED", WatchEvent::Type::kAdded},
    {"MODIFIED", WatchEvent::Type::kModified},
    {"DELETED", WatchEvent::Type::kDeleted},
    {"BOOKMARK", WatchEvent::Type::kBookmark},
    {"ERROR", WatchEvent::Type::kError}};

}  // namespace

std::string_view toString(WatchEvent::Type type) {
  for (const auto& [name, t] : kEventTypes) {
    if (t == type) return name;
  }
  return "?";
}

std::optional<WatchEvent::Type> parseWatchEventType(std::string_view name) {
  for (const auto& [text, t] : kEventTypes) {
    if (name == text) return t;
  }
  return std::nullopt;
}

Result<std::optional<std::string_view>> WatchStream::nextLine() {
  auto event = next();
  if (!event) return event.error();
  if (!*event) return std::optional<std::string_view>();
  line_ = nlohmann::json{{"type", toString((*event)->type)}, {"object", (*event)->object}}.dump();
  return std::optional<std::string_view>(line_);
}

Result<std::string> ApiClient::listText(const ResourceRef& ref, const ListOptions& opts) {
  auto page = list(ref, opts);
  if (!page) return page.error();
  nlohmann::json doc{
      {"metadata", {{"resourceVersion", page->resourceVersion}, {"continue", page->continueToken}}},
      {"items", std::move(page->items)}};
  return doc.dump();
}

}  // namespace lg::kube
