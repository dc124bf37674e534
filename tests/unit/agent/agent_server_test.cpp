#include "controllers/agent/agent_server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "controllers/agent/certificate_authority.h"
#include "controllers/agent/certificate_request.h"
#include "controllers/sources/agent_client.h"
#include "tests/unit/agent/cgroup_fixture.h"

namespace lg::agent {
namespace {

using namespace std::chrono_literals;

class AgentServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto cert = generateSelfSignedCertificate({"leakguard-agent"}, {"127.0.0.1"});
    ASSERT_TRUE(cert.ok());
    cert_ = *cert;
    caFile_ = dir_.write("ca.crt", cert_.certPem);
  }

  std::unique_ptr<AgentServer> start(AgentServerOptions opts = {}) {
    opts.bindAddress = "127.0.0.1:0";
    opts.certificate = cert_;
    auto s = std::make_unique<AgentServer>(opts);
    s->route("/open", [](const HttpRequest& r) {
      HttpResponse res;
      res.body = "{\"query\":\"" + r.query + "\"}";
      return res;
    });
    s->route("/secret",
             requireAuthentication(
                 [](std::string_view token) {
                   if (token == "good") return AuthResult{AuthResult::Outcome::kAllowed, "me", ""};
                   if (token == "other")
                     return AuthResult{AuthResult::Outcome::kForbidden, "them", "not allowed"};
                   if (token == "down")
                     return AuthResult{AuthResult::Outcome::kUnavailable, "", ""};
                   if (token == "flood")
                     return AuthResult{AuthResult::Outcome::kThrottled, "", "too many"};
                   return AuthResult{AuthResult::Outcome::kUnauthenticated, "", "bad token"};
                 },
                 [](const HttpRequest&) {
                   HttpResponse res;
                   res.body = "secret";
                   return res;
                 },
                 [this](const HttpRequest&, const AuthResult&) { ++observed_; }));
    s->postRoute("/echo", [this](const HttpRequest& r) {
      ++echoed_;
      HttpResponse res;
      res.body = r.method + " " + std::to_string(r.body.size());
      return res;
    });
    s->route("/throws",
             [](const HttpRequest&) -> HttpResponse { throw std::runtime_error("boom"); });
    EXPECT_TRUE(s->start().ok());
    return s;
  }

  std::unique_ptr<sources::AgentClient> client(std::string serverName = "leakguard-agent",
                                               bool verify = true) {
    auto c = sources::AgentClient::create(
        {.caFile = verify ? caFile_ : "", .serverName = serverName, .timeout = 5s});
    EXPECT_TRUE(c.ok()) << c.error().message;
    return std::move(*c);
  }

  testing::TempDir dir_;
  ServingCertificate cert_;
  std::string caFile_;
  std::atomic<int> observed_{0};
  std::atomic<int> echoed_{0};
};

TEST_F(AgentServerTest, ServesRoutesOverTls) {
  auto server = start();
  auto c = client();
  auto body = c->get("127.0.0.1", server->port(), "/open?since=5", "");
  ASSERT_TRUE(body.ok()) << body.error().message;
  EXPECT_EQ(*body, "{\"query\":\"since=5\"}");
  // Keep-alive: the next request reuses the connection.
  EXPECT_TRUE(c->get("127.0.0.1", server->port(), "/open", "").ok());
  auto missing = c->get("127.0.0.1", server->port(), "/nope", "");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, 404);
  auto boom = c->get("127.0.0.1", server->port(), "/throws", "");
  EXPECT_EQ(boom.error().code, 500);
}

// A POST route takes a body up to its own limit; a GET route none beyond the request's; each
// route answers its one method only.
TEST_F(AgentServerTest, PostRoutesTakeBodiesUpToTheirLimit) {
  auto server = start({.maxRequestBytes = 2048, .maxPostBodyBytes = 64 * 1024});
  auto c = client();
  auto echoed = c->post("127.0.0.1", server->port(), "/echo", std::string(40000, 'x'), "");
  ASSERT_TRUE(echoed.ok()) << echoed.error().message;
  EXPECT_EQ(*echoed, "POST 40000");
  const auto code = [&](auto r) { return r.ok() ? 200 : r.error().code; };
  // Too large: 413, or the connection dropped when the server closes it while the client is
  // still sending (the reset can overtake the answer); never the handler.
  const int echoed0 = echoed_.load();
  const int tooLarge =
      code(c->post("127.0.0.1", server->port(), "/echo", std::string(70000, 'x'), ""));
  EXPECT_TRUE(tooLarge == 413 || tooLarge == 0) << tooLarge;
  const int getBody =
      code(c->post("127.0.0.1", server->port(), "/open", std::string(4000, 'x'), ""));
  EXPECT_TRUE(getBody == 413 || getBody == 0) << getBody;
  EXPECT_EQ(echoed_.load(), echoed0);
  EXPECT_EQ(code(c->post("127.0.0.1", server->port(), "/open", "{}", "")), 405);
  EXPECT_EQ(code(c->get("127.0.0.1", server->port(), "/echo", "")), 405);
  EXPECT_TRUE(c->get("127.0.0.1", server->port(), "/open", "").ok());
}

TEST_F(AgentServerTest, AuthenticationOutcomes) {
  auto server = start();
  auto c = client();
  EXPECT_EQ(c->get("127.0.0.1", server->port(), "/secret", "").error().code, 401);
  EXPECT_EQ(c->get("127.0.0.1", server->port(), "/secret", "wrong").error().code, 401);
  EXPECT_EQ(c->get("127.0.0.1", server->port(), "/secret", "other").error().code, 403);
  EXPECT_EQ(c->get("127.0.0.1", server->port(), "/secret", "down").error().code, 503);
  auto throttled = c->get("127.0.0.1", server->port(), "/secret", "flood");
  ASSERT_FALSE(throttled.ok());
  EXPECT_EQ(throttled.error().code, 429);
  EXPECT_NE(throttled.error().message.find("too many requests: too many"), std::string::npos)
      << throttled.error().message;
  auto ok = c->get("127.0.0.1", server->port(), "/secret", "good");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, "secret");
  EXPECT_EQ(observed_.load(), 6);
}

TEST_F(AgentServerTest, TheClientVerifiesTheAgentWhenGivenACa) {
  auto server = start();
  EXPECT_TRUE(client("leakguard-agent")->get("127.0.0.1", server->port(), "/open", "").ok());
  EXPECT_TRUE(client("")->get("127.0.0.1", server->port(), "/open", "").ok());  // IP SAN
  auto wrongName = client("someone-else")->get("127.0.0.1", server->port(), "/open", "");
  ASSERT_FALSE(wrongName.ok());
  EXPECT_EQ(wrongName.error().code, 0);
  // A certificate from another CA is refused.
  auto other = generateSelfSignedCertificate({"leakguard-agent"}, {"127.0.0.1"});
  const std::string otherCa = dir_.write("other.crt", other->certPem);
  auto c = sources::AgentClient::create({.caFile = otherCa, .timeout = 5s});
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE((*c)->get("127.0.0.1", server->port(), "/open", "").ok());
  // Without a CA nothing is verified (encryption only).
  EXPECT_TRUE(client("someone-else", false)->get("127.0.0.1", server->port(), "/open", "").ok());
  EXPECT_FALSE(sources::AgentClient::create({.caFile = dir_.file("missing.crt")}).ok());
}

// Per-node certificates (certificate_request.h): the agent starts on a self-signed certificate,
// then serves the one the CA issued for its node; the controller checks the node's name.
TEST_F(AgentServerTest, ServesARotatedCertificateThatTheClientChecksForTheNode) {
  auto ca = CertificateAuthority::fromPem(cert_.certPem, cert_.keyPem);
  ASSERT_TRUE(ca.ok()) << ca.error().message;
  auto temporary = generateSelfSignedCertificate({"leakguard-agent"}, {"127.0.0.1"});
  ASSERT_TRUE(temporary.ok());
  AgentServerOptions opts;
  opts.bindAddress = "127.0.0.1:0";
  opts.certificate = *temporary;
  AgentServer server(opts);
  server.route("/open", [](const HttpRequest&) { return HttpResponse{}; });
  ASSERT_TRUE(server.start().ok());
  auto c = client("{node}.leakguard-agent");
  // Not from the CA yet.
  EXPECT_FALSE(c->get("127.0.0.1", server.port(), "/open", "", "node-1").ok());

  auto issue = [&](const std::string& node) {
    auto req = makeCertificateRequest(agentCertificateName(node));
    EXPECT_TRUE(req.ok());
    auto pem = ca->sign(req->requestPem, agentCertificateName(node),
                        std::chrono::system_clock::now(), std::chrono::hours(1));
    EXPECT_TRUE(pem.ok()) << pem.error().message;
    return ServingCertificate{*pem, req->keyPem};
  };
  ASSERT_TRUE(server.setCertificate(issue("node-1")).ok());
  auto body = c->get("127.0.0.1", server.port(), "/open", "", "node-1");
  EXPECT_TRUE(body.ok()) << body.error().message;
  // The same agent asked as the agent of another node: refused.
  auto other = c->get("127.0.0.1", server.port(), "/open", "", "node-2");
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().code, 0);
  auto noNode = c->get("127.0.0.1", server.port(), "/open", "");
  ASSERT_FALSE(noNode.ok());
  EXPECT_NE(noNode.error().message.find("no node name"), std::string::npos);
  // Rotated: a new key and certificate for new connections.
  ASSERT_TRUE(server.setCertificate(issue("node-1")).ok());
  auto fresh = client("{node}.leakguard-agent");
  EXPECT_TRUE(fresh->get("127.0.0.1", server.port(), "/open", "", "node-1").ok());
  // A key that is not the certificate's is refused, and the served one stays.
  auto mismatched = issue("node-1");
  mismatched.keyPem = temporary->keyPem;
  auto bad = server.setCertificate(mismatched);
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(client("{node}.leakguard-agent")
                  ->get("127.0.0.1", server.port(), "/open", "", "node-1")
                  .ok());
  server.stop();
}

TEST_F(AgentServerTest, OversizedRequestsAre413) {
  auto server = start({.maxRequestBytes = 1024});
  auto c = client();
  auto big = c->get("127.0.0.1", server->port(), "/open?x=" + std::string(4000, 'a'), "");
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.error().code, 413);
}

int connectTo(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// True if the server closes the connection within `within`.
bool closedWithin(int fd, std::chrono::milliseconds within) {
  pollfd p{fd, POLLIN, 0};
  const auto deadline = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < deadline) {
    if (::poll(&p, 1, 50) > 0) {
      char buf[256];
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return true;
    }
  }
  return false;
}

TEST_F(AgentServerTest, ASilentClientIsCutOffAtItsDeadline) {
  auto server = start({.handshakeTimeout = 300ms});
  const int fd = connectTo(server->port());
  ASSERT_GE(fd, 0);
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(closedWithin(fd, 5s));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
  ::close(fd);
  // The server still serves others.
  EXPECT_TRUE(client()->get("127.0.0.1", server->port(), "/open", "").ok());
}

TEST_F(AgentServerTest, ConnectionsAreBounded) {
  auto server = start({.handshakeTimeout = 5s, .maxConnections = 2});
  const int a = connectTo(server->port());
  const int b = connectTo(server->port());
  std::this_thread::sleep_for(100ms);
  const int c = connectTo(server->port());
  EXPECT_TRUE(closedWithin(c, 2s));  // over the limit: closed at accept
  EXPECT_FALSE(closedWithin(a, 200ms));
  ::close(a);
  ::close(b);
  ::close(c);
}

TEST_F(AgentServerTest, StopIsPromptAndIdempotent) {
  auto server = start();
  const int fd = connectTo(server->port());  // an open, silent connection
  const auto t0 = std::chrono::steady_clock::now();
  server->stop();
  server->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 2s);
  ::close(fd);
}

TEST(QueryParam, DecodesValues) {
  EXPECT_EQ(*queryParam("since=12&limit=5", "limit"), "5");
  EXPECT_EQ(*queryParam("a=x%20y&b", "a"), "x y");
  EXPECT_EQ(*queryParam("a=x%20y&b", "b"), "");
  EXPECT_FALSE(queryParam("a=1", "since"));
  EXPECT_FALSE(queryParam("", "since"));
}

}  // namespace
}  // namespace lg::agent
