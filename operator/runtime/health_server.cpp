#include "operator/runtime/health_server.h"

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "operator/runtime/accept_loop.h"
#include "operator/runtime/metrics_registry.h"
#include "operator/util/logger.h"

namespace lg::runtime {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

Result<std::pair<std::string, std::uint16_t>> parseBindAddress(const std::string& address) {
  std::string host;
  std::string port;
  if (!address.empty() && address.front() == '[') {
    const auto close = address.find(']');
    if (close == std::string::npos || close + 1 >= address.size() || address[close + 1] != ':')
      return makeError("bad bind address: " + address);
    host = address.substr(1, close - 1);
    port = address.substr(close + 2);
  } else {
    const auto colon = address.rfind(':');
    if (colon == std::string::npos)
      return makeError("bad bind address (want host:port): " + address);
    host = address.substr(0, colon);
    port = address.substr(colon + 1);
  }
  if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos)
    return makeError("bad port in bind address: " + address);
  const unsigned long p = std::stoul(port);
  if (p > 65535) return makeError("bad port in bind address: " + address);
  return std::make_pair(host, static_cast<std::uint16_t>(p));
}

namespace {

struct Check {
  std::string name;
  std::function<bool()> fn;
};

}  // namespace

// Sessions and handlers point at Impl with raw pointers: Impl owns the AcceptLoop (its last
// member), whose io_context's destruction destroys every pending handler (and with it each
// Session) before the members declared above it go away.
struct HealthServer::Impl {
  MetricsRegistry* metrics = nullptr;
  HealthServerOptions opts;
  std::mutex mu;
  std::vector<Check> readiness;
  std::vector<Check> liveness;
  bool started = false;
  bool stopped = false;
  class Session;
  std::set<Session*> sessions;  // touched on the I/O thread only (or after it ended)
  std::unique_ptr<AcceptLoop> loop;

  // Names of failing checks, joined by ", "; "" if all pass.
  std::string failing(const std::vector<Check>& checks) {
    std::vector<Check> copy;
    {
      std::lock_guard g(mu);
      copy = checks;
    }
    std::string out;
    for (const auto& c : copy) {
      bool ok = false;
      try {
        ok = c.fn();
      } catch (...) {
        ok = false;
      }
      if (!ok) out += (out.empty() ? "" : ", ") + c.name;
    }
    return out;
  }

  http::response<http::string_body> handle(const http::request<http::string_body>& req) {
    http::response<http::string_body> res;
    res.version(req.version());
    res.keep_alive(req.keep_alive());
    res.set(http::field::server, "leakguard");
    res.set(http::field::content_type, "text/plain; charset=utf-8");
    res.set(http::field::cache_control, "no-store");
    std::string_view target = req.target();
    if (auto q = target.find('?'); q != std::string_view::npos) target = target.substr(0, q);

    if (req.method() != http::verb::get && req.method() != http::verb::head) {
      res.result(http::status::method_not_allowed);
      res.set(http::field::allow, "GET, HEAD");
      res.body() = "method not allowed\n";
    } else if (target == "/healthz" || target == "/livez") {
      const std::string bad = failing(liveness);
      res.result(bad.empty() ? http::status::ok : http::status::service_unavailable);
      res.body() = bad.empty() ? "ok\n" : "unhealthy: " + bad + "\n";
    } else if (target == "/readyz") {
      const std::string bad = failing(readiness);
      res.result(bad.empty() ? http::status::ok : http::status::service_unavailable);
      res.body() = bad.empty() ? "ok\n" : "not ready: " + bad + "\n";
    } else if (target == "/metrics" && metrics) {
      res.result(http::status::ok);
      res.set(http::field::content_type, MetricsRegistry::kContentType);
      res.body() = metrics->render();
    } else {
      res.result(http::status::not_found);
      res.body() = "not found\n";
    }
    if (req.method() == http::verb::head) {
      res.content_length(res.body().size());
      res.body().clear();
      // prepare_payload would reset Content-Length to 0 for an empty body: keep ours.
    } else {
      res.prepare_payload();
    }
    return res;
  }

  class Session : public std::enable_shared_from_this<Session> {
   public:
    Session(Impl* server, tcp::socket socket, AcceptLoop::Slot slot)
        : server_(server),
          slot_(std::move(slot)),
          stream_(std::move(socket)),
          buffer_(server->opts.maxRequestBytes) {
      server_->sessions.insert(this);
    }
    ~Session() { server_->sessions.erase(this); }

    void read() {
      if (!stream_.socket().is_open()) return;
      parser_.emplace();
      parser_->header_limit(static_cast<std::uint32_t>(server_->opts.maxRequestBytes));
      parser_->body_limit(server_->opts.maxRequestBytes);
      stream_.expires_after(server_->opts.readTimeout);
      http::async_read(
          stream_, buffer_, *parser_,
          [self = shared_from_this()](beast::error_code ec, std::size_t) { self->onRead(ec); });
    }

   private:
    void onRead(beast::error_code ec) {
      if (ec == http::error::end_of_stream) return close();
      if (ec) {
        if (ec == http::error::body_limit || ec == http::error::header_limit ||
            ec == http::error::buffer_overflow) {
          return reply(simple(http::status::payload_too_large, "request too large\n"), false);
        }
        if (ec != beast::error::timeout && ec != asio::error::operation_aborted &&
            ec != asio::error::connection_reset) {
          // Malformed request: answer 400 and close.
          return reply(simple(http::status::bad_request, "bad request\n"), false);
        }
        return close();
      }
      auto req = parser_->release();
      auto res = server_->handle(req);
      const bool keep = res.keep_alive();
      reply(std::move(res), keep);
    }

    static http::response<http::string_body> simple(http::status status, std::string body) {
      http::response<http::string_body> res{status, 11};
      res.set(http::field::content_type, "text/plain; charset=utf-8");
      res.body() = std::move(body);
      res.keep_alive(false);
      res.prepare_payload();
      return res;
    }

    void reply(http::response<http::string_body> res, bool keepAlive) {
      res_ = std::make_shared<http::response<http::string_body>>(std::move(res));
      stream_.expires_after(server_->opts.readTimeout);
      http::async_write(stream_, *res_,
                        [self = shared_from_this(), keepAlive](beast::error_code ec, std::size_t) {
                          self->res_.reset();
                          if (ec || !keepAlive) return self->close();
                          self->read();
                        });
    }

   public:
    void close() {
      beast::error_code ignored;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
      stream_.socket().close(ignored);
    }

   private:
    Impl* server_;
    AcceptLoop::Slot slot_;
    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    std::shared_ptr<http::response<http::string_body>> res_;
  };
};

HealthServer::HealthServer(MetricsRegistry* metrics, HealthServerOptions opts)
    : impl_(std::make_unique<Impl>()) {
  impl_->metrics = metrics;
  impl_->opts = std::move(opts);
  impl_->loop =
      std::make_unique<AcceptLoop>(AcceptLoopOptions{.bindAddress = impl_->opts.bindAddress,
                                                     .maxConnections = impl_->opts.maxConnections,
                                                     .name = "health server"});
}

HealthServer::~HealthServer() {
  stop();
}

void HealthServer::addReadinessCheck(std::string name, std::function<bool()> check) {
  std::lock_guard g(impl_->mu);
  impl_->readiness.push_back({std::move(name), std::move(check)});
}

void HealthServer::addLivenessCheck(std::string name, std::function<bool()> check) {
  std::lock_guard g(impl_->mu);
  impl_->liveness.push_back({std::move(name), std::move(check)});
}

Status HealthServer::start() {
  std::lock_guard g(impl_->mu);
  if (impl_->started) return makeError("health server already started");
  Status st =
      impl_->loop->start([impl = impl_.get()](tcp::socket s, std::string, AcceptLoop::Slot slot) {
        std::make_shared<Impl::Session>(impl, std::move(s), std::move(slot))->read();
      });
  if (!st.ok()) return st;
  impl_->started = true;
  LG_LOG(info, "health server listening",
         {{"address", impl_->opts.bindAddress}, {"port", impl_->loop->port()}});
  return okStatus();
}

void HealthServer::stop() {
  {
    std::lock_guard g(impl_->mu);
    if (!impl_->started || impl_->stopped) return;
    impl_->stopped = true;
  }
  // Closing every socket fails its pending operations; the handlers end without re-arming, the
  // sessions are released, and the loop's thread ends for lack of work.
  impl_->loop->stop([impl = impl_.get()] {
    for (auto* session : std::set<Impl::Session*>(impl->sessions))
      session->close();
  });
}

std::string HealthServer::name() const {
  return "health server on " + impl_->opts.bindAddress;
}

std::uint16_t HealthServer::port() const {
  return impl_->loop->port();
}

}  // namespace lg::runtime
