#include "controllers/sources/agent_source.h"

#include <gtest/gtest.h>

#include <mutex>

#include "controllers/agent/node_agent.h"
#include "controllers/reconcile/usage_hub.h"
#include "tests/fakes/fake_api_client.h"
#include "tests/fakes/fake_clock.h"
#include "tests/unit/agent/cgroup_fixture.h"

namespace lg::sources {
namespace {

using namespace std::chrono_literals;
using agent::testing::MemoryFixture;
using agent::testing::TempDir;
using detect::Resource;

agent::AgentSample sampleWith(bool running = true) {
  agent::AgentSample s;
  s.time = 1795635318.5;
  s.id = std::make_shared<agent::ContainerIdentity>(
      agent::ContainerIdentity{"uid-1", "shop", "web-1", "app", "containerd://abc"});
  s.running = running;
  s.data.memory.anon = 100;
  s.data.memory.shmem = 20;
  s.data.memory.file = 50;
  s.data.memory.limit = 1000;
  s.data.processes.processes = 2;
  s.data.processes.fdsMax = 40;
  s.data.processes.fdsSoftLimit = 1024;
  s.data.processes.threads = 9;
  s.data.pids.current = 9;
  s.data.pids.max = 0;
  return s;
}

const UsageSample* of(const std::vector<UsageSample>& v, Resource r) {
  for (const auto& u : v)
    if (u.resource == r) return &u;
  return nullptr;
}

TEST(AgentSourceConversion, MemoryIsAnonPlusShmemFdsPerProcessThreadsPerCgroup) {
  const auto v = toUsageSamples(sampleWith());
  ASSERT_EQ(v.size(), 3u);
  const auto* m = of(v, Resource::kMemory);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->value, 120);  // page cache (file minus shmem) is reclaimable: not counted
  EXPECT_EQ(m->limit, 1000);
  EXPECT_EQ(m->podUid, "uid-1");
  EXPECT_EQ(m->ns, "shop");
  EXPECT_EQ(m->pod, "web-1");
  EXPECT_EQ(m->container, "app");
  EXPECT_EQ(m->containerId, "containerd://abc");
  EXPECT_DOUBLE_EQ(m->time, 1795635318.5);
  EXPECT_EQ(m->source, Source::kAgent);
  const auto* f = of(v, Resource::kFds);
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->value, 40);
  EXPECT_EQ(f->limit, 1024);
  const auto* t = of(v, Resource::kThreads);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->value, 9);
  EXPECT_EQ(t->limit, 0);  // pids.max "max": no limit
}

TEST(AgentSourceConversion, ARuntimesHeapCapGoesWithTheMemorySampleOnly) {
  auto s = sampleWith();
  s.data.processes.runtime =
      agent::RuntimeHeap{.runtime = "Node.js", .bytes = 600, .setBy = "--max-old-space-size=1"};
  const auto v = toUsageSamples(s);
  const auto* m = of(v, Resource::kMemory);
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->runtimeHeapMax, 600);
  EXPECT_EQ(m->runtime, "Node.js");
  EXPECT_EQ(m->runtimeHeapSetBy, "--max-old-space-size=1");
  EXPECT_EQ(of(v, Resource::kThreads)->runtimeHeapMax, 0);
  EXPECT_EQ(of(toUsageSamples(sampleWith()), Resource::kMemory)->runtimeHeapMax, 0);
}

TEST(AgentSourceConversion, ACapWithoutTheEnvironmentIsBelievedOnlyWhereTheSpecSetsNoOptions) {
  UsageSample u{.runtimeHeapMax = 600, .runtime = "JVM", .runtimeHeapSetBy = "-Xmx1k"};
  judgeRuntimeCap(u, false);
  EXPECT_EQ(u.runtimeHeapMax, 600);
  EXPECT_EQ(u.runtimeHeapSetBy,
            "-Xmx1k; its environment unread, the pod spec sets no heap options");
  judgeRuntimeCap(u, true);
  EXPECT_EQ(u.runtimeHeapMax, 0);
  EXPECT_TRUE(u.runtime.empty());
}

TEST(AgentSourceConversion, NullsGiveNothingForTheirResource) {
  auto s = sampleWith();
  s.data.memory.shmem.reset();
  s.data.processes.fdsMax.reset();
  s.data.processes.threads.reset();  // falls back to pids.current
  s.data.pids.max = 64;
  const auto v = toUsageSamples(s);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].resource, Resource::kThreads);
  EXPECT_EQ(v[0].value, 9);
  EXPECT_EQ(v[0].limit, 64);
  EXPECT_TRUE(toUsageSamples(sampleWith(false)).empty());
  auto noLimit = sampleWith();
  noLimit.data.memory.limit.reset();
  EXPECT_EQ(of(toUsageSamples(noLimit), Resource::kMemory)->limit, 0);
}

const std::string kUid = "22222222-2222-2222-2222-222222222222";
const std::string kKubepods = "/kubepods";

nlohmann::json podJson(const std::string& id) {
  return {{"metadata", {{"name", "web-1"}, {"namespace", "shop"}, {"uid", kUid}}},
          {"spec", {{"nodeName", "node-1"}, {"containers", {{{"name", "app"}}}}}},
          {"status",
           {{"containerStatuses", {{{"name", "app"}, {"containerID", "containerd://" + id}}}}}}};
}

// A node agent on fixture trees behind a real HTTPS server on 127.0.0.1.
struct FixtureAgent {
  explicit FixtureAgent(std::uint16_t port = 0) {
    agent::testing::makeV1Root(dir, "cg");
    MemoryFixture m;
    m.anon = 50 << 20;
    m.shmem = 5 << 20;
    agent::testing::writeV1Cgroup(dir, "cg", kKubepods + "/burstable/pod" + kUid + "/" + id, m,
                                  {10});
    agent::testing::writeProc(dir, "proc", 10, 6, 25, "2048");
    node = std::make_unique<agent::NodeAgent>(api, SystemClock::instance(),
                                              agent::NodeAgentOptions{.nodeName = "node-1",
                                                                      .cgroupRoot = dir.file("cg"),
                                                                      .procRoot = dir.file("proc"),
                                                                      .kmsgPath = ""});
    EXPECT_TRUE(node->init().ok());
    auto cert = agent::generateSelfSignedCertificate({"leakguard-agent"}, {"127.0.0.1"});
    caFile = dir.write("ca.crt", cert->certPem);
    server = std::make_unique<agent::AgentServer>(agent::AgentServerOptions{
        .bindAddress = "127.0.0.1:" + std::to_string(port), .certificate = *cert});
    node->registerRoutes(*server, [](std::string_view t) {
      return t == "ctl" ? agent::AuthResult{agent::AuthResult::Outcome::kAllowed, "ctl", ""}
                        : agent::AuthResult{agent::AuthResult::Outcome::kUnauthenticated, "", "no"};
    });
    EXPECT_TRUE(server->start().ok());
  }
  void sample() {
    node->sampleOnce(
        {std::make_shared<const agent::AgentPod>(*agent::projectAgentPod(podJson(id)))});
  }
  std::uint16_t port() const { return server->port(); }

  const std::string id = std::string(64, 'b');
  TempDir dir;
  lg::testing::FakeApiClient api;
  std::unique_ptr<agent::NodeAgent> node;
  std::unique_ptr<agent::AgentServer> server;
  std::string caFile;
};

class AgentSourceTest : public ::testing::Test {
 protected:
  std::unique_ptr<AgentSource> source(
      std::function<std::vector<AgentEndpoint>()> endpoints, const std::string& caFile,
      std::string token = "ctl", const std::function<void(AgentSourceOptions&)>& more = nullptr,
      Clock& clock = SystemClock::instance()) {
    AgentSourceOptions opts{.endpoints = std::move(endpoints),
                            .token = [token]() -> Result<std::string> {
                              if (token.empty()) return makeError("no token file");
                              return token;
                            },
                            .client = {.caFile = caFile, .timeout = 3s},
                            .pageSize = 2};
    if (more) more(opts);
    auto s = std::make_unique<AgentSource>(clock, std::move(opts), [this](const UsageSample& u) {
      std::lock_guard g(mu);
      got.push_back(u);
    });
    EXPECT_TRUE(s->init().ok());
    return s;
  }
  std::vector<UsageSample> samples() {
    std::lock_guard g(mu);
    return got;
  }
  std::mutex mu;
  std::vector<UsageSample> got;
};

TEST_F(AgentSourceTest, PollsAgentsForNewSamplesOnly) {
  FixtureAgent a;
  for (int i = 0; i < 3; ++i)
    a.sample();
  auto src = source(
      [&] {
        return std::vector<AgentEndpoint>{{"agent-a", "node-1", "127.0.0.1", a.port()}};
      },
      a.caFile);
  src->pollOnce();  // three samples over two pages of two
  auto got = samples();
  ASSERT_EQ(got.size(), 9u);  // memory, fds, threads of each
  const auto* m = of(got, Resource::kMemory);
  EXPECT_EQ(m->value, static_cast<double>((50 << 20) + (5 << 20)));
  EXPECT_EQ(m->limit, static_cast<double>(256 << 20));
  EXPECT_EQ(m->pod, "web-1");
  EXPECT_EQ(m->podUid, kUid);
  EXPECT_EQ(of(got, Resource::kFds)->value, 25);
  EXPECT_EQ(of(got, Resource::kFds)->limit, 2048);
  EXPECT_EQ(of(got, Resource::kThreads)->value, 6);
  auto st = src->status();
  EXPECT_EQ(st.agents, 1u);
  EXPECT_EQ(st.reachable, 1u);
  EXPECT_EQ(st.samples, 3u);
  EXPECT_EQ(st.lastError, "");

  src->pollOnce();  // nothing new
  EXPECT_EQ(samples().size(), 9u);
  a.sample();
  src->pollOnce();
  EXPECT_EQ(samples().size(), 12u);
  EXPECT_EQ(src->status().samples, 4u);
}

// A compromised node's agent could make up leaks for pods anywhere: the controller believes an
// agent only about the pods the API server places on the agent's node.
TEST_F(AgentSourceTest, AnAgentIsBelievedOnlyAboutThePodsOfItsNode) {
  FixtureAgent a;  // serves samples of shop/web-1
  for (int i = 0; i < 3; ++i)
    a.sample();
  runtime::MetricsRegistry metrics;
  std::string podNodeIs = "node-2";  // where the API server says web-1 runs
  std::string podUidIs = kUid;
  std::string agentNodeIs = "node-1";  // where the API server says the agent runs
  auto src = source(
      [&] {
        return std::vector<AgentEndpoint>{{"agent-a", agentNodeIs, "127.0.0.1", a.port()}};
      },
      a.caFile, "ctl",
      [&](AgentSourceOptions& o) {
        o.metrics = &metrics;
        o.podNode = [&](const std::string& ns, const std::string& pod,
                        const std::string& uid) -> std::optional<std::string> {
          if (ns != "shop" || pod != "web-1" || uid != podUidIs) return std::nullopt;
          return podNodeIs;
        };
      });
  src->pollOnce();
  EXPECT_TRUE(samples().empty());
  auto st = src->status();
  EXPECT_EQ(st.samples, 3u);
  EXPECT_EQ(st.otherNode, 3u);
  EXPECT_NE(metrics.render().find("leakguard_agent_samples_refused_total{reason=\"other_node\"} 3"),
            std::string::npos)
      << metrics.render();

  // The same name with another uid (a pod of that name elsewhere, or made up): not known.
  podUidIs = "33333333-3333-3333-3333-333333333333";
  podNodeIs = "node-1";
  a.sample();
  src->pollOnce();
  EXPECT_TRUE(samples().empty());
  EXPECT_EQ(src->status().unknownPod, 1u);

  // The pod is on the agent's node: believed.
  podUidIs = kUid;
  a.sample();
  src->pollOnce();
  EXPECT_EQ(samples().size(), 3u);  // memory, fds, threads of the one new sample
  EXPECT_EQ(src->status().otherNode, 3u);
}

// A node whose clock runs ahead would freeze its series: a sample must be newer than the last.
TEST_F(AgentSourceTest, SamplesFromTheFutureAreRefused) {
  FixtureAgent a;
  a.sample();
  lg::testing::FakeClock behind;  // 2026-01-01: the agent's samples are months ahead of it
  runtime::MetricsRegistry metrics;
  auto src = source(
      [&] {
        return std::vector<AgentEndpoint>{{"agent-a", "node-1", "127.0.0.1", a.port()}};
      },
      a.caFile, "ctl", [&](AgentSourceOptions& o) { o.metrics = &metrics; }, behind);
  src->pollOnce();
  EXPECT_TRUE(samples().empty());
  EXPECT_EQ(src->status().future, 1u);
  EXPECT_NE(metrics.render().find("leakguard_agent_samples_refused_total{reason=\"future\"} 1"),
            std::string::npos);
  // Within the skew of the controller's clock: taken.
  behind.setWall(std::chrono::system_clock::now() - std::chrono::seconds(20));
  a.sample();
  src->pollOnce();
  EXPECT_EQ(samples().size(), 3u);
}

TEST_F(AgentSourceTest, ARestartedAgentIsReadFromItsStart) {
  auto a = std::make_unique<FixtureAgent>();
  const std::uint16_t port = a->port();
  for (int i = 0; i < 5; ++i)
    a->sample();
  auto src = source(
      [&] {
        return std::vector<AgentEndpoint>{{"a", "node-1", "127.0.0.1", port}};
      },
      "");
  src->pollOnce();
  EXPECT_EQ(src->status().samples, 5u);
  a.reset();  // the agent restarts: same address, new epoch, sequence numbers from 1
  FixtureAgent b(port);
  b.sample();
  src->pollOnce();
  EXPECT_EQ(src->status().samples, 6u);
  EXPECT_EQ(src->status().lastError, "");
}

TEST_F(AgentSourceTest, OneDeadAgentDoesNotStopTheOthers) {
  FixtureAgent a;
  a.sample();
  auto src = source(
      [&] {
        return std::vector<AgentEndpoint>{{"dead", "node-0", "127.0.0.1", 1},
                                          {"alive", "node-1", "127.0.0.1", a.port()}};
      },
      "");
  src->pollOnce();
  const auto st = src->status();
  EXPECT_EQ(st.agents, 2u);
  EXPECT_EQ(st.reachable, 1u);
  EXPECT_NE(st.lastError.find("127.0.0.1:1"), std::string::npos) << st.lastError;
  EXPECT_EQ(samples().size(), 3u);
}

TEST_F(AgentSourceTest, RefusedTokensAndMissingTokensAreReported) {
  FixtureAgent a;
  a.sample();
  auto eps = [&] { return std::vector<AgentEndpoint>{{"a", "node-1", "127.0.0.1", a.port()}}; };
  auto wrong = source(eps, a.caFile, "not-ctl");
  wrong->pollOnce();
  EXPECT_NE(wrong->status().lastError.find("401"), std::string::npos) << wrong->status().lastError;
  EXPECT_TRUE(samples().empty());
  auto none = source(eps, a.caFile, "");
  none->pollOnce();
  EXPECT_NE(none->status().lastError.find("no token"), std::string::npos);
  EXPECT_EQ(none->status().reachable, 0u);
}

TEST_F(AgentSourceTest, AnAgentWithTheWrongCertificateIsRefused) {
  FixtureAgent a;
  a.sample();
  auto other = agent::generateSelfSignedCertificate({"leakguard-agent"}, {});
  const std::string otherCa = a.dir.write("other.crt", other->certPem);
  auto src = source(
      [&] {
        return std::vector<AgentEndpoint>{{"a", "node-1", "127.0.0.1", a.port()}};
      },
      otherCa);
  src->pollOnce();
  EXPECT_EQ(src->status().reachable, 0u);
  EXPECT_TRUE(samples().empty());
}

TEST_F(AgentSourceTest, NoAgentsNothingHappens) {
  auto src = source([] { return std::vector<AgentEndpoint>{}; }, "");
  src->pollOnce();
  EXPECT_EQ(src->status().agents, 0u);
  EXPECT_EQ(src->status().lastError, "");
  EXPECT_TRUE(src->start().ok());
  src->stop();
}

TEST_F(AgentSourceTest, FeedsTheUsageHubAsTheAgentSource) {
  FixtureAgent a;
  a.sample();
  auto opts = std::make_shared<const detect::DetectorOptions>();
  reconcile::UsageHub hub({.optionsFor = [&](const UsageSample&) { return opts; }});
  AgentSource src(SystemClock::instance(),
                  {.endpoints =
                       [&] {
                         return std::vector<AgentEndpoint>{{"a", "node-1", "127.0.0.1", a.port()}};
                       },
                   .token = [] { return Result<std::string>(std::string("ctl")); },
                   .client = {.caFile = a.caFile}},
                  [&](const UsageSample& u) { hub.ingest(u); });
  ASSERT_TRUE(src.init().ok());
  src.pollOnce();
  auto v = hub.view({kUid, "app", Resource::kMemory});
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->source, Source::kAgent);
  EXPECT_EQ(v->lastValue, static_cast<double>((50 << 20) + (5 << 20)));
  EXPECT_TRUE(hub.view({kUid, "app", Resource::kFds}).has_value());
  EXPECT_TRUE(hub.view({kUid, "app", Resource::kThreads}).has_value());
}

}  // namespace
}  // namespace lg::sources
