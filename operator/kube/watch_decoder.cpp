#include "operator/kube/watch_decoder.h"

#include "operator/kube/object_view.h"

namespace lg::kube {
namespace {

std::string_view trim(std::string_view s) {
  const char* ws = " \t\r\n";
  const size_t b = s.find_first_not_of(ws);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

}  // namespace

Result<WatchEvent> parseWatchEvent(std::string_view line) {
  thread_local ViewParser parser;
  auto event = parser.parseEvent(line);
  if (!event) return event.error();
  return WatchEvent{event->type, event->object.toJson()};
}

WatchDecoder::WatchDecoder(size_t maxEventBytes) : maxEventBytes_(maxEventBytes) {}

void WatchDecoder::feed(std::string_view bytes) {
  buf_.append(bytes);
}

Result<std::optional<std::string_view>> WatchDecoder::nextLine() {
  for (;;) {
    const size_t nl = buf_.find('\n', std::max(start_, scan_));
    if (nl == std::string::npos) {
      scan_ = buf_.size();
      if (buffered() > maxEventBytes_) {
        return makeError("watch: event larger than " + std::to_string(maxEventBytes_) + " bytes");
      }
      compact();
      return std::optional<std::string_view>();
    }
    const std::string_view raw(buf_.data() + start_, nl - start_);
    start_ = nl + 1;
    scan_ = start_;
    if (raw.size() > maxEventBytes_) {
      return makeError("watch: event larger than " + std::to_string(maxEventBytes_) + " bytes");
    }
    const std::string_view line = trim(raw);
    if (line.empty()) continue;  // blank lines carry nothing
    return std::optional<std::string_view>(line);
  }
}

Result<std::optional<WatchEvent>> WatchDecoder::next() {
  auto line = nextLine();
  if (!line) return line.error();
  if (!*line) return std::optional<WatchEvent>();
  auto event = parseWatchEvent(**line);
  if (!event) return event.error();
  return std::optional<WatchEvent>(std::move(*event));
}

std::string_view WatchDecoder::takeRest() {
  const std::string_view rest = trim(std::string_view(buf_).substr(start_));
  // Not compacted here: `rest` stays valid until the next call.
  start_ = scan_ = buf_.size();
  return rest;
}

Result<std::optional<std::string_view>> WatchDecoder::finishLine() {
  auto line = nextLine();
  if (!line || *line) return line;
  const std::string_view rest = takeRest();
  if (rest.empty()) return std::optional<std::string_view>();
  return std::optional<std::string_view>(rest);
}

Result<std::optional<WatchEvent>> WatchDecoder::finish() {
  auto event = next();
  if (!event || *event) return event;
  const std::string_view rest = takeRest();
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
