#pragma once
// One HTTP/1.1 connection to the API server, plain TCP or TLS, with its own io_context. Every
// operation is an asynchronous Beast operation under a tcp_stream expiry, driven to completion
// by ioc.run() on the caller's thread: the call blocks, and returns by its deadline because the
// expiry fires and closes the socket. After any error the connection is broken and must be
// dropped. Not thread-safe, except cancel(): one user at a time (the pool hands it out
// exclusively).

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <memory>
#include <optional>

#include "operator/kube/server_url.h"
#include "operator/kube/tls_context.h"
#include "operator/util/result.h"

namespace lg::kube {

namespace http = boost::beast::http;

// Error::code of an open() that failed because the server's certificate was not trusted or did
// not match: a configuration problem that retrying cannot fix. Never leaves HttpApiClient.
inline constexpr int kCertificateRejected = -1;

class HttpConnection {
 public:
  // Deadlines are real steady time: sockets live in it, whatever clock the caller injects.
  using TimePoint = std::chrono::steady_clock::time_point;

  // Resolves, connects and (tls non-null) completes the TLS handshake by the deadline. Errors
  // (code 0, or kCertificateRejected) say which step failed and, for TLS, why verification
  // failed.
  static Result<std::unique_ptr<HttpConnection>> open(const ServerUrl& url,
                                                      std::shared_ptr<TlsContext> tls,
                                                      TimePoint deadline);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  Status write(http::request<http::string_body>& request, TimePoint deadline);
  // Reads a whole response (its size bounded by the parser's body limit).
  Status read(http::response_parser<http::string_body>& parser, TimePoint deadline);
  // Reads a response's header only; the body follows with readSome().
  Status readHeader(http::response_parser<http::buffer_body>& parser, TimePoint deadline);
  // Reads at least some of the body (chunk framing decoded) into buf; returns the bytes stored,
  // possibly 0 (only framing arrived). parser.is_done() tells the end of the body.
  Result<size_t> readSome(http::response_parser<http::buffer_body>& parser, char* buf, size_t size,
                          TimePoint deadline);

  // Thread-safe: makes the operation in progress (or the next one) fail promptly.
  void cancel();
  bool cancelled() const { return cancelled_.load(); }
  // For an idle kept-alive connection: true when it must not be reused (the server closed it,
  // or sent bytes nobody asked for).
  bool unusable() const;

  uint64_t generation = 0;                          // of the TLS settings it was opened with
  std::chrono::steady_clock::time_point idleSince;  // set by the pool (injected clock)
  int requests = 0;                                 // how many requests it carried

 private:
  explicit HttpConnection(std::shared_ptr<TlsContext> tls);
  boost::beast::tcp_stream& lowest();
  template <class Initiate>
  boost::beast::error_code run(TimePoint deadline, Initiate&& initiate);
  std::string describe(const boost::beast::error_code& ec, std::string_view step) const;

  boost::asio::io_context ioc_;
  std::shared_ptr<TlsContext> tls_;  // outlives the stream that uses its SSL_CTX
  std::optional<boost::beast::tcp_stream> plain_;
  std::optional<boost::beast::ssl_stream<boost::beast::tcp_stream>> secure_;
  boost::beast::flat_buffer buffer_;
  std::atomic<bool> cancelled_{false};
};

}  // namespace lg::kube
