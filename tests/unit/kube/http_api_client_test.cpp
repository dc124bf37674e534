#include "operator/kube/http_api_client.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>
#include <tuple>

#include "operator/kube/eviction.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/kube/test_http_server.h"

namespace lg::kube {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using Server = testing::TestHttpServer;
using Type = WatchEvent::Type;

const ResourceRef kConfigMaps{.group = "",
                              .version = "v1",
                              .resource = "configmaps",
                              .ns = "shop",
                              .name = "",
                              .subresource = ""};

ResourceRef named(ResourceRef r, std::string name) {
  r.name = std::move(name);
  return r;
}

std::string eventLine(std::string_view type, std::string_view name, std::string_view rv) {
  return R"({"type":")" + std::string(type) +
         R"(","object":{"kind":"ConfigMap","metadata":{"name":")" + std::string(name) +
         R"(","resourceVersion":")" + std::string(rv) + R"("}}})" + "\n";
}

// Records the waits between retries instead of sleeping.
struct SleepLog {
  std::mutex mu;
  std::vector<milliseconds> waits;
  std::function<void(milliseconds)> fn() {
    return [this](milliseconds d) {
      std::lock_guard lock(mu);
      waits.push_back(d);
    };
  }
  std::vector<milliseconds> get() {
    std::lock_guard lock(mu);
    return waits;
  }
};

class HttpApiClientTest : public ::testing::Test {
 protected:
  SleepLog sleeps;
  std::atomic<int> tokenCalls{0};

  HttpApiClientOptions options() {
    HttpApiClientOptions o;
    o.timeout = 5000ms;
    o.sleep = sleeps.fn();
    o.random = [] { return 0.5; };
    o.retry = RetryOptions{
        .maxAttempts = 5, .initialBackoff = 100ms, .maxBackoff = 1000ms, .jitter = 0.25};
    return o;
  }

  std::unique_ptr<HttpApiClient> client(const Server& server,
                                        std::optional<HttpApiClientOptions> opts = {}) {
    ClusterConfig c;
    c.server = server.url();
    c.tokenSource = [this]() -> Result<std::string> {
      return "tok-" + std::to_string(++tokenCalls);
    };
    auto r = HttpApiClient::create(c, opts ? *opts : options());
    EXPECT_TRUE(r.ok()) << r.error().message;
    return std::move(*r);
  }
};

TEST_F(HttpApiClientTest, GetSendsHeadersAndAFreshTokenPerRequest) {
  Server server([](Server::Exchange& ex) {
    ex.respond(200, R"({"kind":"ConfigMap","metadata":{"name":"cm"}})");
  });
  auto api = client(server);
  auto cm = api->get(named(kConfigMaps, "cm"));
  ASSERT_TRUE(cm.ok()) << cm.error().message;
  EXPECT_EQ((*cm)["metadata"]["name"], "cm");
  ASSERT_TRUE(api->get(named(kConfigMaps, "cm")).ok());
  auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].method, "GET");
  EXPECT_EQ(reqs[0].target, "/api/v1/namespaces/shop/configmaps/cm");
  EXPECT_THAT(reqs[0].headers["user-agent"], StartsWith("leakguard/"));
  EXPECT_EQ(reqs[0].headers["accept"], "application/json");
  EXPECT_EQ(reqs[0].headers["host"], "127.0.0.1:" + std::to_string(server.port()));
  EXPECT_EQ(reqs[0].headers["authorization"], "Bearer tok-1");
  EXPECT_EQ(reqs[1].headers["authorization"], "Bearer tok-2");  // rotated tokens take effect
}

TEST_F(HttpApiClientTest, KeepAliveReusesOneConnection) {
  Server server([](Server::Exchange& ex) { ex.respond(200, "{}"); });
  auto api = client(server);
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(api->get(named(kConfigMaps, "cm")).ok());
  EXPECT_EQ(server.connectionsAccepted(), 1);
  EXPECT_EQ(api->stats().connectionsOpened, 1u);
  EXPECT_EQ(api->stats().requests, 5u);
  EXPECT_EQ(api->stats().idleConnections, 1u);
  for (const auto& r : server.requests())
    EXPECT_EQ(r.connection, 1);
}

TEST_F(HttpApiClientTest, ConcurrentCallsGetTheirOwnConnectionsAndThePoolIsBounded) {
  Server server([](Server::Exchange& ex) {
    ex.sleep(200ms);
    ex.respond(200, "{}");
  });
  HttpApiClientOptions o = options();
  o.maxIdleConnections = 2;
  auto api = client(server, o);
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] { ok += api->get(named(kConfigMaps, "cm")).ok() ? 1 : 0; });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(ok, 4);
  EXPECT_EQ(server.connectionsAccepted(), 4);
  EXPECT_EQ(api->stats().idleConnections, 2u);
}

TEST_F(HttpApiClientTest, ConnectionCloseIsHonoured) {
  Server server([](Server::Exchange& ex) { ex.respond(200, "{}", {}, /*close=*/true); });
  auto api = client(server);
  ASSERT_TRUE(api->get(named(kConfigMaps, "a")).ok());
  ASSERT_TRUE(api->get(named(kConfigMaps, "b")).ok());
  EXPECT_EQ(server.connectionsAccepted(), 2);
  EXPECT_EQ(api->stats().idleConnections, 0u);
  EXPECT_TRUE(sleeps.get().empty());
}

TEST_F(HttpApiClientTest, IdleConnectionClosedByTheServerIsReplacedWithoutRetrying) {
  // The server answers with keep-alive, then drops the idle connection (as an API server does
  // after its idle timeout).
  Server server([](Server::Exchange& ex) {
    ex.respond(200, "{}");
    ex.sleep(50ms);
    ex.close();
  });
  auto api = client(server);
  ASSERT_TRUE(api->get(named(kConfigMaps, "a")).ok());
  std::this_thread::sleep_for(300ms);
  // A POST too: it must not be sent on the dead connection (it could not be retried).
  auto created = api->create(kConfigMaps, {{"metadata", {{"name", "b"}}}});
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_EQ(server.connectionsAccepted(), 2);
  EXPECT_EQ(api->stats().retries, 0u);
  EXPECT_TRUE(sleeps.get().empty());
}

TEST_F(HttpApiClientTest, IdleConnectionsExpire) {
  Server server([](Server::Exchange& ex) { ex.respond(200, "{}"); });
  lg::testing::FakeClock clock;
  HttpApiClientOptions o = options();
  o.clock = &clock;
  o.idleConnectionTimeout = 60s;
  auto api = client(server, o);
  ASSERT_TRUE(api->get(named(kConfigMaps, "a")).ok());
  clock.advance(59s);
  ASSERT_TRUE(api->get(named(kConfigMaps, "a")).ok());
  EXPECT_EQ(server.connectionsAccepted(), 1);
  clock.advance(61s);
  ASSERT_TRUE(api->get(named(kConfigMaps, "a")).ok());
  EXPECT_EQ(server.connectionsAccepted(), 2);
}

TEST_F(HttpApiClientTest, SlowServerHitsTheDeadline) {
  Server server([](Server::Exchange& ex) {
    ex.sleep(10s);
    ex.respond(200, "{}");
  });
  HttpApiClientOptions o = options();
  o.timeout = 400ms;
  auto api = client(server, o);
  const auto start = std::chrono::steady_clock::now();
  auto r = api->get(named(kConfigMaps, "slow"));
  const auto took = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, 0);
  EXPECT_THAT(r.error().message, AllOf(StartsWith("GET /api/v1/namespaces/shop/configmaps/slow"),
                                       HasSubstr("timed out")));
  EXPECT_GE(took, 350ms);
  EXPECT_LT(took, 2000ms);
}

TEST_F(HttpApiClientTest, PerCallTimeoutOverridesTheDefault) {
  Server server([](Server::Exchange& ex) {
    ex.sleep(10s);
    ex.respond(200, "{}");
  });
  auto api = client(server);  // default 5 s
  ListOptions lo;
  lo.timeout = 300ms;
  const auto start = std::chrono::steady_clock::now();
  auto r = api->list(kConfigMaps, lo);
  ASSERT_FALSE(r.ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2000ms);
}

TEST_F(HttpApiClientTest, TooManyRequestsWithRetryAfterThenSuccess) {
  Server server([](Server::Exchange& ex) {
    if (ex.request.connection == 1 && ex.connectionRequestNumber == 1) {
      ex.respondStatus(429, "TooManyRequests", "too many requests, please try again later",
                       {{"Retry-After", "2"}});
    } else {
      ex.respond(200, R"({"ok":true})");
    }
  });
  auto api = client(server);
  auto r = api->get(named(kConfigMaps, "cm"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(sleeps.get(), (std::vector<milliseconds>{2000ms}));
  EXPECT_EQ(server.requests().size(), 2u);
  EXPECT_EQ(api->stats().retries, 1u);
}

// Every attempt is seen, retries included, with its verb, resource and status
// (leakguard_api_requests_total; operator/runtime/api_request_metrics.h).
TEST_F(HttpApiClientTest, EveryAttemptIsObservedForMetrics) {
  Server server([](Server::Exchange& ex) {
    if (ex.request.connection == 1 && ex.connectionRequestNumber == 1) {
      ex.respondStatus(429, "TooManyRequests", "slow down", {{"Retry-After", "1"}});
    } else {
      ex.respond(200, R"({"ok":true})");
    }
  });
  std::mutex mu;
  std::vector<std::tuple<std::string, std::string, int>> seen;
  auto o = options();
  o.observe = [&](const ApiRequestRecord& r) {
    std::lock_guard g(mu);
    seen.emplace_back(r.verb, std::string(r.resource), r.code);
    EXPECT_GE(r.seconds, 0);
  };
  auto api = client(server, o);
  ASSERT_TRUE(api->get(named(kConfigMaps, "cm")).ok());
  kube::ResourceRef evict = named(kConfigMaps, "cm");
  evict.subresource = "status";
  ASSERT_TRUE(api->replace(evict, {{"metadata", {{"name", "cm"}}}}).ok());
  std::lock_guard g(mu);
  EXPECT_EQ(seen, (std::vector<std::tuple<std::string, std::string, int>>{
                      {"get", "configmaps", 429},
                      {"get", "configmaps", 200},
                      {"update", "configmaps/status", 200}}));
}

TEST_F(HttpApiClientTest, ServiceUnavailableIsRetriedWithBackoffUntilTheDeadline) {
  Server server(
      [](Server::Exchange& ex) { ex.respondStatus(503, "ServiceUnavailable", "etcd is unhappy"); });
  lg::testing::FakeClock clock;
  HttpApiClientOptions o = options();
  o.clock = &clock;
  o.timeout = 1000ms;
  o.retry.maxAttempts = 100;
  o.sleep = [&](milliseconds d) {
    sleeps.fn()(d);
    clock.advance(d);
  };
  auto api = client(server, o);
  auto r = api->get(named(kConfigMaps, "cm"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, 503);
  // 100 + 200 + 400 = 700 ms; another 800 would pass the 1 s deadline.
  EXPECT_EQ(sleeps.get(), (std::vector<milliseconds>{100ms, 200ms, 400ms}));
  EXPECT_EQ(server.requests().size(), 4u);
  EXPECT_THAT(r.error().message,
              AllOf(HasSubstr("etcd is unhappy"), HasSubstr("after 4 attempts")));
}

TEST_F(HttpApiClientTest, PostIsNotRetriedOnAPlain500ButIsWhenTheServerSaysRetryAfter) {
  std::atomic<int> n{0};
  Server server([&](Server::Exchange& ex) {
    const int i = ++n;
    if (ex.request.target.find("plain") != std::string::npos) {
      ex.respondStatus(500, "InternalError", "webhook exploded");
    } else if (i <= 3) {
      ex.respondStatus(503, "ServiceUnavailable", "later", {{"Retry-After", "1"}});
    } else {
      ex.respond(201, "{}");
    }
  });
  auto api = client(server);
  auto plain = api->create(named(kConfigMaps, "plain"), nlohmann::json::object());
  ASSERT_FALSE(plain.ok());
  EXPECT_EQ(plain.error().code, 500);
  EXPECT_EQ(n, 1);
  auto told = api->create(named(kConfigMaps, "told"), nlohmann::json::object());
  EXPECT_TRUE(told.ok()) << told.error().message;
  EXPECT_EQ(n, 4);
  EXPECT_EQ(sleeps.get(), (std::vector<milliseconds>{1000ms, 1000ms}));
}

TEST_F(HttpApiClientTest, EvictionBlockedByABudgetIsReturnedAt429WithoutRetry) {
  Server server([](Server::Exchange& ex) {
    ex.respond(429,
               R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
                  "message":"Cannot evict pod as it would violate the pod's disruption budget.",
                  "reason":"TooManyRequests","details":{"causes":[{"reason":"DisruptionBudget",
                  "message":"The disruption budget checkout-pdb needs 2 healthy pods and has 2 currently"}]},
                  "code":429})",
               {{"Retry-After", "1"}});
  });
  auto api = client(server);
  auto s = evictPod(*api, "shop", "checkout-1");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, 429);
  EXPECT_THAT(s.error().message,
              AllOf(StartsWith("POST /api/v1/namespaces/shop/pods/checkout-1/eviction: "),
                    HasSubstr("violate the pod's disruption budget"),
                    HasSubstr("checkout-pdb needs 2 healthy pods")));
  EXPECT_EQ(server.requests().size(), 1u);
  EXPECT_TRUE(sleeps.get().empty());
  const auto body = nlohmann::json::parse(server.requests()[0].body);
  EXPECT_EQ(body["kind"], "Eviction");
  EXPECT_EQ(body["apiVersion"], "policy/v1");
}

TEST_F(HttpApiClientTest, ValidationErrorsCarryFieldCauses) {
  Server server([](Server::Exchange& ex) {
    ex.respond(422, R"({"kind":"Status","status":"Failure","reason":"Invalid","code":422,
      "message":"LeakPolicy.leakguard.io \"p\" is invalid",
      "details":{"causes":[{"field":"spec.playbook[1].when.exhaustionWithin",
                            "message":"Invalid value: \"30\": must be a duration"}]}})");
  });
  auto api = client(server);
  const ResourceRef policies{.group = "leakguard.io",
                             .version = "v1alpha1",
                             .resource = "leakpolicies",
                             .ns = "shop",
                             .name = "p",
                             .subresource = ""};
  auto r = api->replace(policies, {{"spec", nlohmann::json::object()}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, 422);
  EXPECT_THAT(r.error().message,
              AllOf(StartsWith("PUT /apis/leakguard.io/v1alpha1/namespaces/shop/leakpolicies/p: "),
                    HasSubstr(R"(spec.playbook[1].when.exhaustionWithin: Invalid value: "30")")));
  EXPECT_TRUE(sleeps.get().empty());
}

TEST_F(HttpApiClientTest, NotFoundAndConflictAreValues) {
  Server server([](Server::Exchange& ex) {
    if (ex.request.method == "GET") {
      ex.respondStatus(404, "NotFound", R"(configmaps \"gone\" not found)");
    } else {
      ex.respondStatus(409, "Conflict", "the object has been modified");
    }
  });
  auto api = client(server);
  auto g = api->get(named(kConfigMaps, "gone"));
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.error().code, 404);
  EXPECT_THAT(g.error().message, HasSubstr(R"(configmaps "gone" not found)"));
  auto p = api->replace(named(kConfigMaps, "gone"), nlohmann::json::object());
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, 409);
  EXPECT_EQ(server.requests().size(), 2u);
}

int unusedPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);  // nothing listens there now
  return ntohs(addr.sin_port);
}

TEST_F(HttpApiClientTest, ConnectionRefusedIsRetriedThenCode0) {
  ClusterConfig c;
  c.server = "http://127.0.0.1:" + std::to_string(unusedPort());
  auto api = HttpApiClient::create(c, options()).value();
  auto g = api->get(named(kConfigMaps, "x"));
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.error().code, 0);
  EXPECT_THAT(g.error().message,
              AllOf(HasSubstr("connecting to 127.0.0.1"), HasSubstr("after 5 attempts")));
  // Not sent, so even a POST may be retried.
  auto p = api->create(kConfigMaps, nlohmann::json::object());
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(p.error().message, HasSubstr("after 5 attempts"));
}

TEST_F(HttpApiClientTest, PostCutOffAfterSendingIsNotRetried) {
  Server server([](Server::Exchange& ex) { ex.close(); });
  auto api = client(server);
  auto p = api->create(kConfigMaps, nlohmann::json::object());
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, 0);
  EXPECT_EQ(server.requests().size(), 1u);
  auto g = api->get(named(kConfigMaps, "x"));  // a GET is
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(server.requests().size(), 6u);
}

TEST_F(HttpApiClientTest, OversizedResponseIsRefused) {
  Server server([](Server::Exchange& ex) {
    ex.respond(200, R"({"data":")" + std::string(4096, 'x') + R"("})");
  });
  HttpApiClientOptions o = options();
  o.maxResponseBytes = 1024;
  auto api = client(server, o);
  auto r = api->get(named(kConfigMaps, "big"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, 0);
  EXPECT_THAT(r.error().message, HasSubstr("body limit"));
}

TEST_F(HttpApiClientTest, OversizedRequestIsRefusedLocally) {
  Server server([](Server::Exchange& ex) { ex.respond(200, "{}"); });
  HttpApiClientOptions o = options();
  o.maxRequestBytes = 100;
  auto api = client(server, o);
  auto r = api->create(kConfigMaps, {{"data", std::string(200, 'x')}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, 413);
  EXPECT_TRUE(server.requests().empty());
}

TEST_F(HttpApiClientTest, CredentialFailureIsNotRetried) {
  Server server([](Server::Exchange& ex) { ex.respond(200, "{}"); });
  ClusterConfig c;
  c.server = server.url();
  c.tokenSource = []() -> Result<std::string> { return makeError("exec plugin \"x\": exit 1"); };
  auto api = HttpApiClient::create(c, options()).value();
  auto r = api->get(named(kConfigMaps, "x"));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("credentials: exec plugin"));
  EXPECT_TRUE(server.requests().empty());
}

TEST_F(HttpApiClientTest, UnauthorizedRefreshesExecCredentialsOnce) {
  Server server([](Server::Exchange& ex) {
    if (ex.request.headers.at("authorization") == "Bearer tok-1") {
      ex.respondStatus(401, "Unauthorized", "Unauthorized");
    } else {
      ex.respond(200, "{}");
    }
  });
  ClusterConfig c;
  c.server = server.url();
  c.tokenSource = [this]() -> Result<std::string> { return "tok-" + std::to_string(++tokenCalls); };
  int invalidations = 0;
  c.invalidateCredentials = [&] { ++invalidations; };
  auto api = HttpApiClient::create(c, options()).value();
  ASSERT_TRUE(api->get(named(kConfigMaps, "x")).ok());
  EXPECT_EQ(invalidations, 1);
  EXPECT_TRUE(sleeps.get().empty());
}

TEST_F(HttpApiClientTest, ListSendsPagingAndSelectorsAndReadsThePage) {
  Server server([](Server::Exchange& ex) {
    if (ex.request.target.find("continue=") == std::string::npos) {
      ex.respond(200,
                 R"({"kind":"ConfigMapList","metadata":{"resourceVersion":"10","continue":"c2"},
                          "items":[{"metadata":{"name":"a"}},{"metadata":{"name":"b"}}]})");
    } else {
      ex.respond(200,
                 R"({"kind":"ConfigMapList","metadata":{"resourceVersion":"10"},"items":null})");
    }
  });
  auto api = client(server);
  ListOptions lo;
  lo.labelSelector = "app in (a,b)";
  lo.fieldSelector = "metadata.name!=z";
  lo.limit = 2;
  auto p1 = api->list(kConfigMaps, lo);
  ASSERT_TRUE(p1.ok()) << p1.error().message;
  EXPECT_EQ(p1->items.size(), 2u);
  EXPECT_EQ(p1->resourceVersion, "10");
  EXPECT_EQ(p1->continueToken, "c2");
  lo.continueToken = p1->continueToken;
  auto p2 = api->list(kConfigMaps, lo);
  ASSERT_TRUE(p2.ok());
  EXPECT_TRUE(p2->items.is_array());
  EXPECT_TRUE(p2->items.empty());
  EXPECT_EQ(p2->continueToken, "");
  const auto reqs = server.requests();
  EXPECT_EQ(reqs[0].target,
            "/api/v1/namespaces/shop/configmaps?labelSelector=app%20in%20%28a%2Cb%29"
            "&fieldSelector=metadata.name%21%3Dz&limit=2");
  EXPECT_THAT(reqs[1].target, HasSubstr("&continue=c2"));
}

TEST_F(HttpApiClientTest, PatchTypesAndWriteOptions) {
  Server server([](Server::Exchange& ex) { ex.respond(200, ex.request.body); });
  auto api = client(server);
  const ResourceRef cm = named(kConfigMaps, "cm");
  WriteOptions apply;
  apply.fieldManager = "leakguard";
  apply.force = true;
  apply.dryRun = true;
  ASSERT_TRUE(api->patch(cm, PatchType::kApply, {{"data", {{"a", "1"}}}}, apply).ok());
  ASSERT_TRUE(api->patch(cm, PatchType::kMerge, {{"data", {{"a", "1"}}}}, apply).ok());
  ASSERT_TRUE(api->patch(cm, PatchType::kJson, nlohmann::json::array()).ok());
  ASSERT_TRUE(api->patch(cm, PatchType::kStrategicMerge, nlohmann::json::object()).ok());
  const auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 4u);
  EXPECT_EQ(reqs[0].method, "PATCH");
  EXPECT_EQ(reqs[0].headers.at("content-type"), "application/apply-patch+yaml");
  EXPECT_EQ(reqs[0].target,
            "/api/v1/namespaces/shop/configmaps/cm?fieldManager=leakguard&dryRun=All&force=true");
  EXPECT_EQ(nlohmann::json::parse(reqs[0].body), (nlohmann::json{{"data", {{"a", "1"}}}}));
  EXPECT_EQ(reqs[1].headers.at("content-type"), "application/merge-patch+json");
  EXPECT_EQ(reqs[1].target,
            "/api/v1/namespaces/shop/configmaps/cm?fieldManager=leakguard&dryRun=All");
  EXPECT_EQ(reqs[2].headers.at("content-type"), "application/json-patch+json");
  EXPECT_EQ(reqs[3].headers.at("content-type"), "application/strategic-merge-patch+json");
}

TEST_F(HttpApiClientTest, DeleteSendsDeleteOptionsOnlyWhenGiven) {
  Server server(
      [](Server::Exchange& ex) { ex.respond(200, R"({"kind":"Status","status":"Success"})"); });
  auto api = client(server);
  ASSERT_TRUE(api->remove(named(kConfigMaps, "a")).ok());
  DeleteOptions d;
  d.gracePeriodSeconds = 0;
  d.propagationPolicy = "Foreground";
  d.preconditionResourceVersion = "77";
  ASSERT_TRUE(api->remove(named(kConfigMaps, "b"), d).ok());
  const auto reqs = server.requests();
  EXPECT_EQ(reqs[0].method, "DELETE");
  EXPECT_EQ(reqs[0].body, "");
  EXPECT_EQ(nlohmann::json::parse(reqs[1].body),
            (nlohmann::json{{"kind", "DeleteOptions"},
                            {"apiVersion", "v1"},
                            {"gracePeriodSeconds", 0},
                            {"propagationPolicy", "Foreground"},
                            {"preconditions", {{"resourceVersion", "77"}}}}));
}

TEST_F(HttpApiClientTest, GetPathForNonResourceUrls) {
  Server server([](Server::Exchange& ex) { ex.respond(200, R"({"gitVersion":"v1.34.4"})"); });
  auto api = client(server);
  auto v = api->getPath("/version");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ((*v)["gitVersion"], "v1.34.4");
  EXPECT_EQ(server.requests()[0].target, "/version");
}

TEST_F(HttpApiClientTest, WatchStreamsChunkedEventsAcrossChunkBoundaries) {
  Server server([](Server::Exchange& ex) {
    ex.startChunked();
    const std::string a = eventLine("ADDED", "a", "11");
    const std::string m = eventLine("MODIFIED", "a", "12");
    const std::string d = eventLine("DELETED", "a", "13");
    ex.chunk(a.substr(0, 10));  // an event split over three chunks
    ex.sleep(20ms);
    ex.chunk(a.substr(10, 20));
    ex.sleep(20ms);
    ex.chunk(a.substr(30) + m + d);  // and a chunk with several
    ex.chunk(
        R"({"type":"BOOKMARK","object":{"kind":"ConfigMap","metadata":{"resourceVersion":"20"}}})"
        "\n");
    ex.endChunks();
  });
  auto api = client(server);
  WatchOptions wo;
  wo.resourceVersion = "10";
  wo.timeoutSeconds = 30;
  auto w = api->watch(kConfigMaps, wo);
  ASSERT_TRUE(w.ok()) << w.error().message;
  std::vector<WatchEvent> events;
  for (;;) {
    auto e = (*w)->next();
    ASSERT_TRUE(e.ok()) << e.error().message;
    if (!*e) break;
    events.push_back(**e);
  }
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[0].type, Type::kAdded);
  EXPECT_EQ(events[0].object["metadata"]["resourceVersion"], "11");
  EXPECT_EQ(events[1].type, Type::kModified);
  EXPECT_EQ(events[2].type, Type::kDeleted);
  EXPECT_EQ(events[3].type, Type::kBookmark);
  auto again = (*w)->next();  // the end is sticky
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->has_value());
  EXPECT_EQ(server.requests()[0].target,
            "/api/v1/namespaces/shop/configmaps?watch=1&resourceVersion=10&timeoutSeconds=30"
            "&allowWatchBookmarks=true");
}

TEST_F(HttpApiClientTest, WatchDroppedMidStreamIsCode0) {
  Server server([](Server::Exchange& ex) {
    ex.startChunked();
    ex.chunk(eventLine("ADDED", "a", "1"));
    ex.chunk(eventLine("ADDED", "b", "2").substr(0, 15));
    ex.sleep(50ms);
    ex.close();  // no final chunk
  });
  auto api = client(server);
  auto w = api->watch(kConfigMaps, {});
  ASSERT_TRUE(w.ok()) << w.error().message;
  auto first = (*w)->next();
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(first->has_value());
  auto broken = (*w)->next();
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.error().code, 0);
  EXPECT_THAT(broken.error().message, StartsWith("watch /api/v1/namespaces/shop/configmaps: "));
  auto still = (*w)->next();
  ASSERT_FALSE(still.ok());  // broken stays broken
}

TEST_F(HttpApiClientTest, CancelFromAnotherThreadUnblocksNext) {
  Server server([](Server::Exchange& ex) {
    ex.startChunked();
    ex.chunk(eventLine("ADDED", "a", "1"));
    ex.sleep(30s);
  });
  auto api = client(server);
  auto w = api->watch(kConfigMaps, {});
  ASSERT_TRUE(w.ok()) << w.error().message;
  ASSERT_TRUE((*w)->next().ok());
  WatchStream* stream = w->get();
  std::thread canceller([stream] {
    std::this_thread::sleep_for(200ms);
    stream->cancel();
  });
  const auto start = std::chrono::steady_clock::now();
  auto r = stream->next();
  const auto took = std::chrono::steady_clock::now() - start;
  canceller.join();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, 0);
  EXPECT_THAT(r.error().message, HasSubstr("cancelled"));
  EXPECT_GE(took, 150ms);
  EXPECT_LT(took, 3s);
}

TEST_F(HttpApiClientTest, CancelBeforeNextReturnsAtOnce) {
  Server server([](Server::Exchange& ex) {
    ex.startChunked();
    ex.sleep(30s);
  });
  auto api = client(server);
  auto w = api->watch(kConfigMaps, {});
  ASSERT_TRUE(w.ok());
  (*w)->cancel();
  auto r = (*w)->next();
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("cancelled"));
}

TEST_F(HttpApiClientTest, WatchIdleTimeout) {
  Server server([](Server::Exchange& ex) {
    ex.startChunked();
    ex.sleep(30s);
  });
  auto api = client(server);
  WatchOptions wo;
  wo.idleTimeout = 1s;
  auto w = api->watch(kConfigMaps, wo);
  ASSERT_TRUE(w.ok());
  const auto start = std::chrono::steady_clock::now();
  auto r = (*w)->next();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, 0);
  EXPECT_THAT(r.error().message, HasSubstr("no data for 1 s"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
}

TEST_F(HttpApiClientTest, WatchRefusedWith410) {
  Server server([](Server::Exchange& ex) {
    ex.respondStatus(410, "Expired", "too old resource version: 1 (4242)");
  });
  auto api = client(server);
  WatchOptions wo;
  wo.resourceVersion = "1";
  auto w = api->watch(kConfigMaps, wo);
  ASSERT_FALSE(w.ok());
  EXPECT_EQ(w.error().code, 410);
  EXPECT_THAT(w.error().message, HasSubstr("too old resource version"));
  EXPECT_TRUE(sleeps.get().empty());
}

TEST_F(HttpApiClientTest, WatchErrorEventIsAnEvent) {
  Server server([](Server::Exchange& ex) {
    ex.startChunked();
    ex.chunk(
        R"({"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},)"
        R"("status":"Failure","message":"too old resource version","reason":"Expired","code":410}})"
        "\n");
    ex.endChunks();
  });
  auto api = client(server);
  auto w = api->watch(kConfigMaps, {});
  ASSERT_TRUE(w.ok());
  auto e = (*w)->next();
  ASSERT_TRUE(e.ok());
  ASSERT_TRUE(e->has_value());
  EXPECT_EQ((*e)->type, Type::kError);
  EXPECT_EQ((*e)->object["code"], 410);
  auto end = (*w)->next();
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(end->has_value());
}

TEST_F(HttpApiClientTest, WatchOpenIsRetriedOn503) {
  Server server([](Server::Exchange& ex) {
    if (ex.request.connection == 1) {
      ex.respondStatus(503, "ServiceUnavailable", "starting", {}), ex.close();
      return;
    }
    ex.startChunked();
    ex.chunk(eventLine("ADDED", "a", "1"));
    ex.endChunks();
  });
  auto api = client(server);
  auto w = api->watch(kConfigMaps, {});
  ASSERT_TRUE(w.ok()) << w.error().message;
  auto e = (*w)->next();
  ASSERT_TRUE(e.ok());
  ASSERT_TRUE(e->has_value());
  EXPECT_EQ(sleeps.get().size(), 1u);
}

TEST_F(HttpApiClientTest, BadServerUrlIsACreateError) {
  ClusterConfig c;
  c.server = "ftp://x";
  auto r = HttpApiClient::create(c, options());
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("scheme"));
  c.server = "http://198.18.255.1:8080";  // would send tokens in clear text
  auto plain = HttpApiClient::create(c, options());
  ASSERT_FALSE(plain.ok());
  EXPECT_THAT(plain.error().message, HasSubstr("only allowed to a loopback address"));
}

}  // namespace
}  // namespace lg::kube
