#pragma once
// Decodes a watch response body: newline-delimited JSON objects {"type": ..., "object": ...}
// as the API server streams them. Bytes are fed as chunks arrive; an event may span chunks and
// a chunk may carry several events. Pure (no I/O); not thread-safe (one stream, one reader).

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "operator/kube/api_client.h"
#include "operator/util/result.h"

namespace lg::kube {

// Parses one event line. Errors (code 0) quote at most the first 200 bytes of the line.
Result<WatchEvent> parseWatchEvent(std::string_view line);

class WatchDecoder {
 public:
  // An event longer than maxEventBytes is an error (a hostile or broken server must not make
  // us buffer without bound). etcd caps objects at 1.5 MiB; the default leaves ample room.
  explicit WatchDecoder(size_t maxEventBytes = 16 << 20);

  void feed(std::string_view bytes);
  // The next complete event; nullopt when more bytes are needed. An Error (code 0) for a line
  // that is not a watch event or an event over the size limit; after an error the stream is out
  // of step and the decoder must not be used further.
  Result<std::optional<WatchEvent>> next();
  // At the end of the stream: the last event if it lacked its final newline, nullopt if
  // nothing is left, an Error if what is left is not an event.
  Result<std::optional<WatchEvent>> finish();
  // The same, as the event's text (trimmed; blank lines skipped), unparsed. The view is valid
  // until the next call on the decoder.
  Result<std::optional<std::string_view>> nextLine();
  Result<std::optional<std::string_view>> finishLine();
  // Bytes received but not yet returned as events.
  size_t buffered() const { return buf_.size() - start_; }

 private:
  void compact();
  // What is left after the last newline, trimmed, consumed (not compacted: stays valid).
  std::string_view takeRest();

  const size_t maxEventBytes_;
  std::string buf_;
  size_t start_ = 0;  // first byte not yet consumed
  size_t scan_ = 0;   // bytes before this hold no newline (saves rescanning a long event)
};

}  // namespace lg::kube
