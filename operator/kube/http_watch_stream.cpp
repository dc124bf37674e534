#include "operator/kube/http_watch_stream.h"

#include "operator/util/logger.h"

namespace lg::kube {

HttpWatchStream::HttpWatchStream(std::unique_ptr<HttpConnection> connection,
                                 std::unique_ptr<http::response_parser<http::buffer_body>> parser,
                                 std::chrono::seconds idleTimeout, size_t maxEventBytes,
                                 std::string what)
    : connection_(std::move(connection)),
      parser_(std::move(parser)),
      idleTimeout_(idleTimeout),
      what_(std::move(what)),
      decoder_(maxEventBytes),
      buf_(64 * 1024) {}

Error HttpWatchStream::fail(std::string message) {
  failed_ = makeError(what_ + ": " + message, 0);
  LG_LOG(debug, "watch stream failed", {{"watch", what_}, {"error", message}});
  return *failed_;
}

template <class Item, class Next, class Finish>
Result<std::optional<Item>> HttpWatchStream::pump(Next next, Finish finish) {
  using Out = Result<std::optional<Item>>;
  if (failed_) return *failed_;
  for (;;) {
    if (connection_->cancelled()) return fail("cancelled");
    auto item = next();
    if (!item) return fail(item.error().message);
    if (*item) return item;
    if (ended_) return Out(std::nullopt);
    if (parser_->is_done()) {
      // The server ended the body properly (its timeoutSeconds passed, or after an ERROR).
      ended_ = true;
      auto last = finish();
      if (!last) return fail(last.error().message);
      return last;
    }
    const auto deadline = std::chrono::steady_clock::now() + idleTimeout_;
    auto got = connection_->readSome(*parser_, buf_.data(), buf_.size(), deadline);
    if (!got) {
      std::string msg = got.error().message;
      if (msg.ends_with("timed out")) {
        msg += " (no data for " + std::to_string(idleTimeout_.count()) + " s)";
      }
      return fail(msg);
    }
    decoder_.feed(std::string_view(buf_.data(), *got));
  }
}

Result<std::optional<WatchEvent>> HttpWatchStream::next() {
  return pump<WatchEvent>([this] { return decoder_.next(); }, [this] { return decoder_.finish(); });
}

Result<std::optional<std::string_view>> HttpWatchStream::nextLine() {
  return pump<std::string_view>([this] { return decoder_.nextLine(); },
                                [this] { return decoder_.finishLine(); });
}

void HttpWatchStream::cancel() {
  connection_->cancel();
}

}  // namespace lg::kube
