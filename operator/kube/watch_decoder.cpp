#include "operator/kube/watch_decoder.h"

#include "operator/kube/object_json.h"

namespace lg::kube {
namespace {

std::string_view trim(std::string_view s) {
  const char* ws = " \t\r\n";
  const size_t b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

std::string excerpt(std::string_view line) {
  std::string s(line.substr(0, 200));
  for (char& c : s) {
    if (static_cast<unsigned char>(c) < 0x20) c = '?';
  }
  return line.size() > 200 ? s + "..." : s;
}

}  // namespace

Result<WatchEvent> parseWatchEvent(std::string_view line) {
  nlohmann::json doc = parseObjectJson(line, kWatchEventMetadataDepth);
  if (doc.is_discarded() || !doc.is_object()) {
    return makeError("watch: not a JSON object: " + excerpt(line));
  }
  auto type = doc.find("type");
  auto object = doc.find("object");
  if (type == doc.end() || !type->is_string() || object == doc.end() || !object->is_object()) {
    return makeError("watch: event without type or object: " + excerpt(line));
  }
  static constexpr std::pair<std::string_view, WatchEvent::Type> kTypes[] = {
      {"ADDED", WatchEvent::Type::kAdded},
      {"MODIFIED", WatchEvent::Type::kModified},
      {"DELETED", WatchEvent::Type::kDeleted},
      {"BOOKMARK", WatchEvent::Type::kBookmark},
      {"ERROR", WatchEvent::Type::kError}};
  const std::string& name = type->get_ref<const std::string&>();
  for (const auto& [text, t] : kTypes) {
    if (name == text) return WatchEvent{t, std::move(*object)};
  }
  return makeError("watch: unknown event type \"" + excerpt(name) + "\"");
}

WatchDecoder::WatchDecoder(size_t maxEventBytes) : maxEventBytes_(maxEventBytes) {}

void WatchDecoder::feed(std::string_view bytes) {
  buf_.append(bytes);
}

Result<std::optional<WatchEvent>> WatchDecoder::next() {
  for (;;) {
    const size_t nl = buf_.find('\n', std::max(start_, scan_));
    if (nl == std::string::npos) {
      scan_ = buf_.size();
      if (buffered() > maxEventBytes_) {
        return makeError("watch: event larger than " + std::to_string(maxEventBytes_) + " bytes");
      }
      compact();
      return std::optional<WatchEvent>();
    }
    const std::string_view raw(buf_.data() + start_, nl - start_);
    start_ = nl + 1;
    scan_ = start_;
    if (raw.size() > maxEventBytes_) {
      return makeError("watch: event larger than " + std::to_string(maxEventBytes_) + " bytes");
    }
    const std::string_view line = trim(raw);
    if (line.empty()) continue;  // blank lines carry nothing
    auto event = parseWatchEvent(line);
    if (!event) return event.error();
    return std::optional<WatchEvent>(std::move(*event));
  }
}

Result<std::optional<WatchEvent>> WatchDecoder::finish() {
  auto event = next();
  if (!event || *event) return event;
  const std::string rest(trim(std::string_view(buf_).substr(start_)));
  start_ = scan_ = buf_.size();
  compact();
  if (rest.empty()) return std::optional<WatchEvent>();
  auto last = parseWatchEvent(rest);
  if (!last) return makeError("watch: stream ended inside an event: " + last.error().message);
  return std::optional<WatchEvent>(std::move(*last));
}

void WatchDecoder::compact() {
  // Erasing the consumed prefix is O(remaining); doing it only when the prefix dominates keeps
  // the total cost linear.
  if (start_ == buf_.size()) {
    buf_.clear();
    start_ = scan_ = 0;
  } else if (start_ > 4096 && start_ > buf_.size() / 2) {
    buf_.erase(0, start_);
    scan_ -= start_;
    start_ = 0;
  }
}

}  // namespace lg::kube
