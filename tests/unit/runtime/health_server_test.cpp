// The health server over a real local socket (127.0.0.1, a free port).

#include "operator/runtime/health_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "operator/runtime/metrics_registry.h"

namespace lg::runtime {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct Reply {
  int status = 0;
  std::string body;
  std::string contentType;
  std::string contentLength;
};

class Client {
 public:
  explicit Client(std::uint16_t port) : socket_(ioc_) {
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  }
  Reply request(http::verb verb, const std::string& target, bool keepAlive = false) {
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, "localhost");
    req.keep_alive(keepAlive);
    http::write(socket_, req);
    return read(verb == http::verb::head);
  }
  Reply read(bool head = false) {
    http::response_parser<http::string_body> parser;
    parser.skip(head);
    http::read(socket_, buffer_, parser);
    auto res = parser.release();
    return Reply{static_cast<int>(res.result_int()), res.body(),
                 std::string(res[http::field::content_type]),
                 std::string(res[http::field::content_length])};
  }
  void sendRaw(const std::string& bytes) { asio::write(socket_, asio::buffer(bytes)); }
  // True if the server closed the connection (read hits EOF or a reset).
  bool closedByServer() {
    char c;
    beast::error_code ec;
    socket_.read_some(asio::buffer(&c, 1), ec);
    return ec == asio::error::eof || ec == asio::error::connection_reset;
  }

 private:
  asio::io_context ioc_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
};

class HealthServerTest : public ::testing::Test {
 protected:
  void start(HealthServerOptions opts = {}) {
    opts.bindAddress = "127.0.0.1:0";
    if (opts.readTimeout == std::chrono::milliseconds(5000))
      opts.readTimeout = std::chrono::seconds(5);
    server_ = std::make_unique<HealthServer>(&registry_, opts);
    server_->addReadinessCheck("cache-synced:pods", [this] { return synced_.load(); });
    ASSERT_TRUE(server_->start().ok());
    ASSERT_NE(server_->port(), 0);
  }
  Reply get(const std::string& target) {
    Client c(server_->port());
    return c.request(http::verb::get, target);
  }

  MetricsRegistry registry_;
  std::atomic<bool> synced_{false};
  std::unique_ptr<HealthServer> server_;
};

TEST_F(HealthServerTest, HealthzIsOkWhileServing) {
  start();
  const Reply r = get("/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "ok\n");
}

TEST_F(HealthServerTest, LivenessCheckFailureMakesHealthzFail) {
  start();
  std::atomic<bool> alive{true};
  server_->addLivenessCheck("reflector-thread", [&] { return alive.load(); });
  EXPECT_EQ(get("/healthz").status, 200);
  alive = false;
  const Reply r = get("/healthz");
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body.find("reflector-thread"), std::string::npos);
}

TEST_F(HealthServerTest, ReadyzFlipsWhenCachesSync) {
  start();
  Reply r = get("/readyz");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, "not ready: cache-synced:pods\n");
  synced_ = true;
  r = get("/readyz?verbose=1");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "ok\n");
}

TEST_F(HealthServerTest, MetricsServesTheRegistry) {
  registry_.counter("leakguard_reconcile_total", "Reconciles.", {"controller", "result"})
      .labels({"policy", "success"})
      .inc(3);
  start();
  const Reply r = get("/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.contentType, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(r.body.find("leakguard_reconcile_total{controller=\"policy\",result=\"success\"} 3\n"),
            std::string::npos);
}

TEST_F(HealthServerTest, UnknownPathsAndMethods) {
  start();
  EXPECT_EQ(get("/nope").status, 404);
  Client c(server_->port());
  const Reply post = c.request(http::verb::post, "/healthz");
  EXPECT_EQ(post.status, 405);
}

TEST_F(HealthServerTest, HeadHasNoBodyButALength) {
  start();
  Client c(server_->port());
  const Reply r = c.request(http::verb::head, "/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(r.contentLength, "3");
}

TEST_F(HealthServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  start();
  Client c(server_->port());
  EXPECT_EQ(c.request(http::verb::get, "/healthz", true).status, 200);
  EXPECT_EQ(c.request(http::verb::get, "/readyz", true).status, 503);
  EXPECT_EQ(c.request(http::verb::get, "/metrics", false).status, 200);
  EXPECT_TRUE(c.closedByServer());
}

TEST_F(HealthServerTest, OversizedRequestIsRefused) {
  start();
  Client c(server_->port());
  c.sendRaw("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(10000, 'a') + "\r\n\r\n");
  const Reply r = c.read();
  EXPECT_EQ(r.status, 413);
  EXPECT_TRUE(c.closedByServer());
}

TEST_F(HealthServerTest, MalformedRequestGets400) {
  start();
  Client c(server_->port());
  c.sendRaw("THIS IS NOT HTTP\r\n\r\n");
  EXPECT_EQ(c.read().status, 400);
}

TEST_F(HealthServerTest, SlowClientIsCutOffAtTheReadDeadline) {
  // A real deadline on a real socket: the server, not the test, waits 100 ms.
  HealthServerOptions o;
  o.readTimeout = std::chrono::milliseconds(100);
  start(o);
  Client slow(server_->port());
  slow.sendRaw("GET /healthz HTTP/1.1\r\nHost:");  // and never finishes
  EXPECT_TRUE(slow.closedByServer());
  // Others are still served.
  EXPECT_EQ(get("/healthz").status, 200);
}

TEST_F(HealthServerTest, ConnectionsBeyondTheLimitAreClosed) {
  HealthServerOptions o;
  o.maxConnections = 2;
  start(o);
  Client a(server_->port());
  Client b(server_->port());
  EXPECT_EQ(a.request(http::verb::get, "/healthz", true).status, 200);
  EXPECT_EQ(b.request(http::verb::get, "/healthz", true).status, 200);
  Client c(server_->port());
  EXPECT_TRUE(c.closedByServer());
}

TEST_F(HealthServerTest, StopClosesOpenConnectionsAndIsIdempotent) {
  start();
  Client c(server_->port());
  EXPECT_EQ(c.request(http::verb::get, "/healthz", true).status, 200);
  server_->stop();
  server_->stop();
  EXPECT_TRUE(c.closedByServer());
}

TEST(HealthServerStartTest, BadAddressesFail) {
  MetricsRegistry r;
  for (const char* addr : {"nonsense", "127.0.0.1:99999", "999.1.1.1:80", "[::1:80", "host:"}) {
    HealthServer s(&r, HealthServerOptions{.bindAddress = addr});
    EXPECT_FALSE(s.start().ok()) << addr;
  }
}

TEST(HealthServerStartTest, PortInUseFails) {
  MetricsRegistry r;
  HealthServer a(&r, HealthServerOptions{.bindAddress = "127.0.0.1:0"});
  ASSERT_TRUE(a.start().ok());
  HealthServer b(&r, HealthServerOptions{.bindAddress = "127.0.0.1:" + std::to_string(a.port())});
  EXPECT_FALSE(b.start().ok());
}

TEST(HealthServerStartTest, ParsesBindAddresses) {
  auto p = parseBindAddress(":8080");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->first, "");
  EXPECT_EQ(p->second, 8080);
  p = parseBindAddress("[::1]:9090");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->first, "::1");
  EXPECT_EQ(p->second, 9090);
  p = parseBindAddress("127.0.0.1:0");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->second, 0);
}

}  // namespace
}  // namespace lg::runtime
