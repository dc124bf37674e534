#pragma once
// A watch's response body as a WatchStream: reads the chunked body piece by piece as it arrives
// and decodes events with WatchDecoder. Owns its connection, which never goes back to the pool.
// next() is for one thread; cancel() may be called from any thread while the stream exists.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "operator/kube/api_client.h"
#include "operator/kube/http_connection.h"
#include "operator/kube/watch_decoder.h"

namespace lg::kube {

class HttpWatchStream final : public WatchStream {
 public:
  // `parser` has read the 200 response's header; `what` names the watch in errors
  // ("watch /api/v1/pods").
  HttpWatchStream(std::unique_ptr<HttpConnection> connection,
                  std::unique_ptr<http::response_parser<http::buffer_body>> parser,
                  std::chrono::seconds idleTimeout, size_t maxEventBytes, std::string what);

  Result<std::optional<WatchEvent>> next() override;
  Result<std::optional<std::string_view>> nextLine() override;
  void cancel() override;

 private:
  Error fail(std::string message);
  // Reads the body until `next` yields an item or the body ends (then `finish`).
  template <class Item, class Next, class Finish>
  Result<std::optional<Item>> pump(Next next, Finish finish);

  std::unique_ptr<HttpConnection> connection_;
  std::unique_ptr<http::response_parser<http::buffer_body>> parser_;
  const std::chrono::seconds idleTimeout_;
  const std::string what_;
  WatchDecoder decoder_;
  std::vector<char> buf_;
  std::optional<Error> failed_;  // sticky: a broken stream stays broken
  bool ended_ = false;
};

}  // namespace lg::kube
