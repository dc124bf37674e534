#include "operator/kube/http_connection.h"

#include <netdb.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>

#include <boost/asio/post.hpp>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

namespace lg::kube {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

// getaddrinfo cannot be cancelled, and asio's resolver joins its lookup thread on destruction,
// so a hung DNS server would hang us past any deadline. The lookup runs on a detached thread
// instead; a late answer is dropped.
Result<std::vector<tcp::endpoint>> resolve(const std::string& host, const std::string& port,
                                           HttpConnection::TimePoint deadline) {
  beast::error_code ec;
  const auto ip = asio::ip::make_address(host, ec);
  if (!ec)
    return std::vector<tcp::endpoint>{tcp::endpoint(ip, static_cast<uint16_t>(std::stoi(port)))};

  struct Lookup {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    int rc = 0;
    std::vector<tcp::endpoint> endpoints;
  };
  auto lookup = std::make_shared<Lookup>();
  std::thread([lookup, host, port] {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    const int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &res);
    std::vector<tcp::endpoint> eps;
    for (addrinfo* a = res; rc == 0 && a; a = a->ai_next) {
      tcp::endpoint ep;
      std::memcpy(ep.data(), a->ai_addr, a->ai_addrlen);
      ep.resize(a->ai_addrlen);
      eps.push_back(ep);
    }
    if (res) ::freeaddrinfo(res);
    std::lock_guard lock(lookup->mu);
    lookup->rc = rc;
    lookup->endpoints = std::move(eps);
    lookup->done = true;
    lookup->cv.notify_all();
  }).detach();
  std::unique_lock lock(lookup->mu);
  if (!lookup->cv.wait_until(lock, deadline, [&] { return lookup->done; })) {
    return makeError("resolving " + host + " timed out");
  }
  if (lookup->rc != 0) return makeError("resolving " + host + ": " + gai_strerror(lookup->rc));
  if (lookup->endpoints.empty()) return makeError("resolving " + host + ": no addresses");
  return std::move(lookup->endpoints);
}

}  // namespace

HttpConnection::HttpConnection(std::shared_ptr<TlsContext> tls) : tls_(std::move(tls)) {
  if (tls_) {
    secure_.emplace(ioc_, tls_->context());
  } else {
    plain_.emplace(ioc_);
  }
}

HttpConnection::~HttpConnection() {
  // No TLS close_notify: it could block on a dead peer, and the server does not need it.
  beast::error_code ignored;
  lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
  lowest().close();
}

beast::tcp_stream& HttpConnection::lowest() {
  return secure_ ? beast::get_lowest_layer(*secure_) : *plain_;
}

template <class Initiate>
beast::error_code HttpConnection::run(TimePoint deadline, Initiate&& initiate) {
  if (cancelled_) return asio::error::operation_aborted;
  beast::error_code result = asio::error::would_block;
  lowest().expires_at(deadline);
  initiate([&result](beast::error_code ec, auto&&...) { result = ec; });
  ioc_.restart();
  ioc_.run();
  lowest().expires_never();
  if (!result && cancelled_) result = asio::error::operation_aborted;
  return result;
}

std::string HttpConnection::describe(const beast::error_code& ec, std::string_view step) const {
  std::string s(step);
  if (cancelled_) return s + ": cancelled";
  if (ec == beast::error::timeout) return s + ": timed out";
  if (secure_) {
    const long verify =
        SSL_get_verify_result(const_cast<HttpConnection*>(this)->secure_->native_handle());
    if (verify != X509_V_OK) {
      return s +
             ": server certificate verification failed: " + X509_verify_cert_error_string(verify);
    }
  }
  return s + ": " + ec.message();
}

Result<std::unique_ptr<HttpConnection>> HttpConnection::open(const ServerUrl& url,
                                                             std::shared_ptr<TlsContext> tls,
                                                             TimePoint deadline) {
  auto endpoints = resolve(url.host, url.port, deadline);
  if (!endpoints) return endpoints.error();
  std::unique_ptr<HttpConnection> c(new HttpConnection(std::move(tls)));
  if (c->secure_) {
    if (auto s = c->tls_->prepare(c->secure_->native_handle()); !s) return s.error();
  }
  const std::string where = url.host + ":" + url.port;
  beast::error_code ec = c->run(
      deadline, [&](auto handler) { c->lowest().async_connect(*endpoints, std::move(handler)); });
  if (ec) return makeError(c->describe(ec, "connecting to " + where));
  c->lowest().socket().set_option(tcp::no_delay(true), ec);
  if (c->secure_) {
    ec = c->run(deadline, [&](auto handler) {
      c->secure_->async_handshake(asio::ssl::stream_base::client, std::move(handler));
    });
    if (ec) {
      const bool rejected = SSL_get_verify_result(c->secure_->native_handle()) != X509_V_OK;
      return makeError(c->describe(ec, "TLS handshake with " + where),
                       rejected ? kCertificateRejected : 0);
    }
  }
  return c;
}

Status HttpConnection::write(http::request<http::string_body>& request, TimePoint deadline) {
  beast::error_code ec = run(deadline, [&](auto handler) {
    if (secure_) {
      http::async_write(*secure_, request, std::move(handler));
    } else {
      http::async_write(*plain_, request, std::move(handler));
    }
  });
  if (ec) return makeError(describe(ec, "sending the request"));
  return okStatus();
}

Status HttpConnection::read(http::response_parser<http::string_body>& parser, TimePoint deadline) {
  beast::error_code ec = run(deadline, [&](auto handler) {
    if (secure_) {
      http::async_read(*secure_, buffer_, parser, std::move(handler));
    } else {
      http::async_read(*plain_, buffer_, parser, std::move(handler));
    }
  });
  if (ec) return makeError(describe(ec, "reading the response"));
  return okStatus();
}

Status HttpConnection::readHeader(http::response_parser<http::buffer_body>& parser,
                                  TimePoint deadline) {
  beast::error_code ec = run(deadline, [&](auto handler) {
    if (secure_) {
      http::async_read_header(*secure_, buffer_, parser, std::move(handler));
    } else {
      http::async_read_header(*plain_, buffer_, parser, std::move(handler));
    }
  });
  if (ec) return makeError(describe(ec, "reading the response header"));
  return okStatus();
}

Result<size_t> HttpConnection::readSome(http::response_parser<http::buffer_body>& parser, char* buf,
                                        size_t size, TimePoint deadline) {
  parser.get().body().data = buf;
  parser.get().body().size = size;
  beast::error_code ec = run(deadline, [&](auto handler) {
    if (secure_) {
      http::async_read_some(*secure_, buffer_, parser, std::move(handler));
    } else {
      http::async_read_some(*plain_, buffer_, parser, std::move(handler));
    }
  });
  const size_t got = size - parser.get().body().size;
  parser.get().body().data = nullptr;
  // need_buffer only says our buffer is full: the caller drains it and reads on.
  if (ec == http::error::need_buffer) ec = {};
  if (ec) return makeError(describe(ec, "reading the response body"));
  return got;
}

void HttpConnection::cancel() {
  cancelled_ = true;
  // The closing runs on the thread inside ioc_.run() (or at its next run), never concurrently
  // with the stream's own handlers.
  asio::post(ioc_, [this] {
    beast::error_code ignored;
    lowest().socket().cancel(ignored);
    lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
  });
}

bool HttpConnection::unusable() const {
  if (cancelled_ || buffer_.size() > 0) return true;
  auto& self = const_cast<HttpConnection&>(*this);
  if (!self.lowest().socket().is_open()) return true;
  pollfd p{self.lowest().socket().native_handle(), POLLIN | POLLRDHUP, 0};
  // Readable while idle means EOF, a reset or unexpected bytes: in all cases, not reusable.
  return ::poll(&p, 1, 0) != 0;
}

}  // namespace lg::kube
