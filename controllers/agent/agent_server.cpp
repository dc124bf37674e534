#include "controllers/agent/agent_server.h"

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <map>
#include <mutex>
#include <thread>

#include "operator/runtime/accept_loop.h"
#include "operator/util/hex.h"
#include "operator/util/logger.h"

namespace lg::agent {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

std::string percentDecode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      const int hi = hexValue(s[i + 1]);
      const int lo = hexValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += s[i] == '+' ? ' ' : s[i];
  }
  return out;
}

HttpResponse textResponse(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.contentType = "text/plain; charset=utf-8";
  r.body = std::move(body);
  return r;
}

}  // namespace

std::optional<std::string> queryParam(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const auto eq = pair.find('=');
    if (percentDecode(pair.substr(0, eq)) == name)
      return eq == std::string_view::npos ? std::string() : percentDecode(pair.substr(eq + 1));
  }
  return std::nullopt;
}

AgentServer::Handler requireAuthentication(
    std::function<AuthResult(std::string_view)> authenticate, AgentServer::Handler next,
    std::function<void(const HttpRequest&, const AuthResult&)> observe) {
  return [authenticate = std::move(authenticate), next = std::move(next),
          observe = std::move(observe)](const HttpRequest& req) -> HttpResponse {
    AuthResult result;
    if (auto token = bearerToken(req.authorization)) {
      result = authenticate(*token);
    } else {
      result = {AuthResult::Outcome::kUnauthenticated, "", "no bearer token"};
    }
    if (observe) observe(req, result);
    switch (result.outcome) {
      case AuthResult::Outcome::kAllowed:
        return next(req);
      case AuthResult::Outcome::kUnauthenticated: {
        auto r = textResponse(401, "unauthorized: " + result.reason + "\n");
        r.headers.emplace_back("WWW-Authenticate", "Bearer");
        return r;
      }
      case AuthResult::Outcome::kForbidden:
        return textResponse(403, "forbidden: " + result.reason + "\n");
      case AuthResult::Outcome::kThrottled: {
        auto r = textResponse(429, "too many requests: " + result.reason + "\n");
        r.headers.emplace_back("Retry-After", "1");
        return r;
      }
      case AuthResult::Outcome::kUnavailable:
        break;
    }
    auto r = textResponse(503, "authentication unavailable, retry later\n");
    r.headers.emplace_back("Retry-After", "5");
    return r;
  };
}

namespace {

Result<std::shared_ptr<ssl::context>> makeContext(const ServingCertificate& cert) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_compression |
                   ssl::context::single_dh_use);
  beast::error_code ec;
  ctx->use_certificate_chain(asio::buffer(cert.certPem), ec);
  if (ec) return makeError("serving certificate: " + ec.message());
  ctx->use_private_key(asio::buffer(cert.keyPem), ssl::context::pem, ec);
  if (ec) return makeError("serving key: " + ec.message());
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1)
    return makeError("the serving key does not match the certificate");
  return ctx;
}

}  // namespace

HttpRequest toHttpRequest(std::string_view method, std::string_view target,
                          std::string_view authorization, std::string remote) {
  HttpRequest hr;
  hr.method = std::string(method);
  const auto q = target.find('?');
  hr.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) hr.query = std::string(target.substr(q + 1));
  hr.authorization = std::string(authorization);
  hr.remote = std::move(remote);
  return hr;
}

// Sessions point at Impl with raw pointers: Impl owns the AcceptLoop and with it the io_context
// (its last member: destroyed before the members above it, and with it every pending handler and
// Session) and joins the workers in stop() before anything goes away.
struct AgentServer::Impl {
  AgentServerOptions opts;
  struct Route {
    std::string method;
    Handler handler;
  };
  std::map<std::string, Route, std::less<>> routes;
  std::atomic<std::size_t> pending{0};
  std::mutex mu;
  bool started = false;
  bool stopped = false;
  // The serving certificate's context: replaced whole by setCertificate(); each session keeps
  // the one it started with.
  std::shared_ptr<ssl::context> ctx;
  std::shared_ptr<ssl::context> context() {
    std::lock_guard g(mu);
    return ctx;
  }
  std::unique_ptr<asio::thread_pool> workers;
  std::unique_ptr<runtime::AcceptLoop> loop;  // last: see above

  // The body a request to `target` may carry: a POST route's, else none beyond the request's
  // own limit.
  std::size_t bodyLimit(std::string_view target) const {
    auto it = routes.find(target.substr(0, target.find('?')));
    return it != routes.end() && it->second.method == "POST" ? opts.maxPostBodyBytes
                                                             : opts.maxRequestBytes;
  }

  HttpResponse dispatch(const HttpRequest& req) {
    auto it = routes.find(req.path);
    if (it == routes.end()) return textResponse(404, "not found\n");
    if (req.method != it->second.method) {
      auto r = textResponse(405, "method not allowed\n");
      r.headers.emplace_back("Allow", it->second.method);
      return r;
    }
    try {
      return it->second.handler(req);
    } catch (const std::exception& e) {
      LG_LOG(error, "agent handler failed", {{"path", req.path}, {"error", e.what()}});
      return textResponse(500, "internal error\n");
    }
  }

  class Session : public std::enable_shared_from_this<Session> {
   public:
    Session(Impl* server, tcp::socket socket, std::string remote, runtime::AcceptLoop::Slot slot)
        : server_(server),
          slot_(std::move(slot)),
          ctx_(server->context()),
          stream_(std::move(socket), *ctx_),
          remote_(std::move(remote)) {}

    void start() {
      lowest().expires_after(server_->opts.handshakeTimeout);
      stream_.async_handshake(ssl::stream_base::server,
                              [self = shared_from_this()](beast::error_code ec) {
                                if (ec) return self->close();
                                self->read();
                              });
    }

   private:
    beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

    void read() {
      parser_.emplace();
      parser_->header_limit(static_cast<std::uint32_t>(server_->opts.maxRequestBytes));
      parser_->body_limit(std::max(server_->opts.maxRequestBytes, server_->opts.maxPostBodyBytes));
      lowest().expires_after(server_->opts.readTimeout);
      // The header first: it names the route, and the route how large a body may be.
      http::async_read_header(stream_, buffer_, *parser_,
                              [self = shared_from_this()](beast::error_code ec, std::size_t) {
                                if (ec) return self->onRead(ec);
                                self->readBody();
                              });
    }

    void readBody() {
      // The parser checked Content-Length against its limit with the header: checked here
      // against the route's; the limit set now bounds a chunked body.
      const std::size_t limit = server_->bodyLimit(parser_->get().target());
      if (parser_->content_length().value_or(0) > limit)
        return reply(textResponse(413, "request too large\n"), false);
      parser_->body_limit(limit);
      http::async_read(
          stream_, buffer_, *parser_,
          [self = shared_from_this()](beast::error_code ec, std::size_t) { self->onRead(ec); });
    }

    void onRead(beast::error_code ec) {
      if (ec == http::error::end_of_stream) return shutdown();
      if (ec) {
        if (ec == http::error::body_limit || ec == http::error::header_limit ||
            ec == http::error::buffer_overflow)
          return reply(textResponse(413, "request too large\n"), false);
        if (ec == http::error::bad_method || ec == http::error::bad_target ||
            ec == http::error::bad_version || ec == http::error::bad_field ||
            ec == http::error::bad_value || ec == http::error::bad_line_ending)
          return reply(textResponse(400, "bad request\n"), false);
        return close();  // timeout, reset, TLS error
      }
      auto req = parser_->release();
      const auto a = req.find(http::field::authorization);
      HttpRequest hr =
          toHttpRequest(req.method_string(), req.target(),
                        a == req.end() ? std::string_view()
                                       : std::string_view(a->value().data(), a->value().size()),
                        remote_);
      if (req.method() == http::verb::post) hr.body = std::move(req.body());
      const bool keep = req.keep_alive();
      if (server_->pending.fetch_add(1) >= server_->opts.maxPendingRequests) {
        server_->pending.fetch_sub(1);
        return reply(textResponse(503, "busy\n"), false);
      }
      // Nothing times out while the handler runs; the write deadline starts after it.
      lowest().expires_never();
      asio::post(*server_->workers, [self = shared_from_this(), hr = std::move(hr), keep] {
        HttpResponse res = self->server_->dispatch(hr);
        self->server_->pending.fetch_sub(1);
        auto& ioc = self->server_->loop->ioc();
        asio::post(ioc, [self, res = std::move(res), keep]() mutable {
          self->reply(std::move(res), keep);
        });
      });
    }

    void reply(HttpResponse r, bool keepAlive) {
      res_ = std::make_shared<http::response<http::string_body>>(
          static_cast<http::status>(r.status), 11);
      res_->set(http::field::server, "leakguard-agent");
      res_->set(http::field::content_type, r.contentType);
      res_->set(http::field::cache_control, "no-store");
      for (const auto& [k, v] : r.headers)
        res_->set(k, v);
      res_->body() = std::move(r.body);
      res_->keep_alive(keepAlive);
      res_->prepare_payload();
      lowest().expires_after(server_->opts.writeTimeout);
      http::async_write(stream_, *res_,
                        [self = shared_from_this(), keepAlive](beast::error_code ec, std::size_t) {
                          self->res_.reset();
                          if (ec) return self->close();
                          if (!keepAlive) return self->shutdown();
                          self->read();
                        });
    }

    void shutdown() {
      lowest().expires_after(std::chrono::seconds(2));
      stream_.async_shutdown([self = shared_from_this()](beast::error_code) { self->close(); });
    }

    void close() {
      beast::error_code ignored;
      lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
      lowest().socket().close(ignored);
    }

    Impl* server_;
    runtime::AcceptLoop::Slot slot_;
    std::shared_ptr<ssl::context> ctx_;  // before stream_: outlives it
    beast::ssl_stream<beast::tcp_stream> stream_;
    std::string remote_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    std::shared_ptr<http::response<http::string_body>> res_;
  };
};

AgentServer::AgentServer(AgentServerOptions opts) : impl_(std::make_unique<Impl>()) {
  impl_->opts = std::move(opts);
  impl_->loop = std::make_unique<runtime::AcceptLoop>(
      runtime::AcceptLoopOptions{.bindAddress = impl_->opts.bindAddress,
                                 .maxConnections = impl_->opts.maxConnections,
                                 .name = "agent server"});
}

AgentServer::~AgentServer() {
  stop();
}

void AgentServer::route(std::string path, Handler handler) {
  impl_->routes.insert_or_assign(std::move(path), Impl::Route{"GET", std::move(handler)});
}

void AgentServer::postRoute(std::string path, Handler handler) {
  impl_->routes.insert_or_assign(std::move(path), Impl::Route{"POST", std::move(handler)});
}

Status AgentServer::setCertificate(const ServingCertificate& cert) {
  auto ctx = makeContext(cert);
  if (!ctx) return ctx.error();
  std::lock_guard g(impl_->mu);
  impl_->ctx = std::move(*ctx);
  return okStatus();
}

Status AgentServer::start() {
  std::lock_guard g(impl_->mu);
  if (impl_->started) return makeError("agent server already started");
  auto ctx = makeContext(impl_->opts.certificate);
  if (!ctx) return ctx.error();
  impl_->ctx = std::move(*ctx);

  impl_->workers = std::make_unique<asio::thread_pool>(
      static_cast<std::size_t>(std::max(1, impl_->opts.workers)));
  Status st = impl_->loop->start([impl = impl_.get()](tcp::socket s, std::string peer,
                                                      runtime::AcceptLoop::Slot slot) {
    std::make_shared<Impl::Session>(impl, std::move(s), std::move(peer), std::move(slot))->start();
  });
  if (!st.ok()) return st;
  impl_->started = true;
  return okStatus();
}

void AgentServer::stop() {
  {
    std::lock_guard g(impl_->mu);
    if (!impl_->started || impl_->stopped) return;
    impl_->stopped = true;
  }
  impl_->loop->stop([impl = impl_.get()] { impl->loop->ioc().stop(); });
  // Running handlers finish; what they post to the stopped io_context is destroyed with it.
  impl_->workers->join();
}

std::uint16_t AgentServer::port() const {
  return impl_->loop->port();
}

}  // namespace lg::agent
