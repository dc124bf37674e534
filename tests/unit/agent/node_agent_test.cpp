#include "controllers/agent/node_agent.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "controllers/sources/agent_client.h"
#include "tests/fakes/fake_api_client.h"
#include "tests/unit/agent/cgroup_fixture.h"
#include "tests/unit/agent/token_review_api.h"

namespace lg::agent {
namespace {

using namespace std::chrono_literals;
using testing::MemoryFixture;
using testing::TempDir;

const std::string kG = "11111111-1111-1111-1111-111111111111";
const std::string kB = "22222222-2222-2222-2222-222222222222";
const std::string kE = "33333333-3333-3333-3333-333333333333";
std::string cid(char c) {
  return std::string(64, c);
}
const std::string kKubepods = "/nested/leakguard-e2e/kubepods";

struct C {
  std::string name, id, lastId;
};

nlohmann::json podJson(const std::string& name, const std::string& uid, const std::string& node,
                       const std::vector<C>& containers) {
  nlohmann::json p = {{"apiVersion", "v1"},
                      {"kind", "Pod"},
                      {"metadata", {{"name", name}, {"namespace", "shop"}, {"uid", uid}}},
                      {"spec", {{"nodeName", node}, {"containers", nlohmann::json::array()}}},
                      {"status", {{"containerStatuses", nlohmann::json::array()}}}};
  for (const auto& c : containers) {
    p["spec"]["containers"].push_back({{"name", c.name}});
    nlohmann::json st = {{"name", c.name}};
    if (!c.id.empty()) st["containerID"] = "containerd://" + c.id;
    if (!c.lastId.empty())
      st["lastState"] = {{"terminated", {{"containerID", "containerd://" + c.lastId}}}};
    p["status"]["containerStatuses"].push_back(st);
  }
  return p;
}

std::shared_ptr<const AgentPod> pod(const nlohmann::json& j) {
  return std::make_shared<const AgentPod>(*projectAgentPod(j));
}

std::string killRecord(const std::string& podPath, const std::string& id) {
  return "6,99,123,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=" + id +
         ",mems_allowed=0,oom_memcg=" + podPath + ",task_memcg=" + podPath + "/" + id +
         ",task=app,pid=4242,uid=0\n";
}

std::vector<AgentSample> drain(const NodeAgent& agent, std::uint64_t since = 0) {
  std::vector<AgentSample> out;
  agent.ring().read(since, 100000, [&](const AgentSample& s) { out.push_back(s); });
  return out;
}

// The last sample of a pod's container.
const AgentSample* byPod(const std::vector<AgentSample>& v, const std::string& pod) {
  for (auto it = v.rbegin(); it != v.rend(); ++it)
    if (it->id && it->id->pod == pod && it->id->container == "app") return &*it;
  return nullptr;
}

class NodeAgentTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::makeV1Root(dir, "cg");
    MemoryFixture g;
    g.anon = 10 << 20;
    g.oomKill = 1;  // the guaranteed container's cgroup counted one kill
    testing::writeV1Cgroup(dir, "cg", kKubepods + "/pod" + kG + "/" + cid('a'), g, {100});
    g.oomKill = 2;
    testing::writeV1Cgroup(dir, "cg", kKubepods + "/pod" + kG, g);
    MemoryFixture b;
    b.anon = 20 << 20;
    b.oomKill = 0;
    testing::writeV1Cgroup(dir, "cg", kKubepods + "/burstable/pod" + kB + "/" + cid('b'), b,
                           {200, 201});
    testing::writeV1Cgroup(dir, "cg", kKubepods + "/burstable/pod" + kB, b);
    MemoryFixture e;
    e.anon = 30 << 20;
    e.limit = 0;
    e.oomKill = 0;
    testing::writeV1Cgroup(dir, "cg", kKubepods + "/besteffort/pod" + kE + "/" + cid('e'), e);
    testing::writeProc(dir, "proc", 100, 4, 12, "1024");
    testing::writeProc(dir, "proc", 200, 2, 7, "2048");
    testing::writeProc(dir, "proc", 201, 3, 30, "4096");
    kmsg = dir.write("kmsg", "6,1,1,-;Linux version 6.18\n");
  }

  NodeAgentOptions options() {
    return {.nodeName = "node-1",
            .cgroupRoot = dir.file("cg"),
            .procRoot = dir.file("proc"),
            .kmsgPath = kmsg,
            .interval = 50ms,
            .bufferSamples = 64};
  }

  NodeAgent::PodList pods() {
    return {
        pod(podJson("guaranteed", kG, "node-1", {{"app", cid('a'), ""}})),
        pod(podJson("burstable", kB, "node-1", {{"app", cid('b'), cid('9')}, {"sidecar", "", ""}})),
        pod(podJson("besteffort", kE, "node-1", {{"app", cid('e'), ""}}))};
  }

  TempDir dir;
  std::string kmsg;
  lg::testing::FakeApiClient api;
};

TEST_F(NodeAgentTest, SamplesEveryStartedContainerOfEveryQosClass) {
  NodeAgent agent(api, SystemClock::instance(), options());
  ASSERT_TRUE(agent.init().ok());
  EXPECT_TRUE(agent.kernelLogOpen());
  EXPECT_EQ(agent.sampleOnce(pods()), 3u);  // the sidecar never started
  const auto samples = drain(agent);
  ASSERT_EQ(samples.size(), 3u);
  for (const auto& s : samples) {
    EXPECT_TRUE(s.running) << s.id->pod;
    EXPECT_EQ(s.data.version, 1);
    EXPECT_EQ(s.id->ns, "shop");
    EXPECT_TRUE(s.data.cgroup.starts_with(kKubepods)) << s.data.cgroup;
  }
  EXPECT_EQ(*samples[0].oomKills, 1u);  // from its cgroup's counter
  EXPECT_EQ(*samples[1].oomKills, 0u);  // the log is readable: a count, zero so far
  EXPECT_EQ(*samples[2].oomKills, 0u);
  EXPECT_EQ(samples[0].id->pod, "guaranteed");
  EXPECT_EQ(samples[0].id->containerId, "containerd://" + cid('a'));
  EXPECT_EQ(*samples[0].data.memory.anon, 10u << 20);
  EXPECT_EQ(*samples[0].data.processes.fdsMax, 12u);
  EXPECT_EQ(*samples[0].podOomKill, 2u);
  EXPECT_EQ(samples[1].id->pod, "burstable");
  EXPECT_EQ(*samples[1].data.memory.anon, 20u << 20);
  EXPECT_EQ(*samples[1].data.processes.threads, 5u);
  EXPECT_EQ(*samples[1].data.processes.fdsMax, 30u);
  EXPECT_EQ(*samples[1].data.processes.fdsSoftLimit, 4096u);
  EXPECT_EQ(samples[2].id->pod, "besteffort");
  EXPECT_EQ(*samples[2].data.memory.limit, 0u);
  EXPECT_FALSE(samples[2].podOomKill.has_value());  // no pod-level cgroup in this fixture
}

TEST_F(NodeAgentTest, OomKillsShowAcrossRestartsEvenWhileTheContainerIsDown) {
  NodeAgent agent(api, SystemClock::instance(), options());
  ASSERT_TRUE(agent.init().ok());
  const std::string podB = kKubepods + "/burstable/pod" + kB;
  {
    std::ofstream out(kmsg, std::ios::app);
    out << killRecord(podB, cid('9'));  // the previous instance of "app"
  }
  agent.sampleOnce(pods());
  auto s = drain(agent);
  EXPECT_EQ(*byPod(s, "besteffort")->oomKills, 0u);
  const AgentSample* b = byPod(s, "burstable");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(*b->oomKills, 1u);

  // The current instance is killed too and its cgroup is gone (crash loop back-off).
  std::filesystem::remove_all(dir.file("cg/memory" + podB + "/" + cid('b')));
  {
    std::ofstream out(kmsg, std::ios::app);
    out << killRecord(podB, cid('b'));
  }
  const auto next = agent.ring().nextSeq();
  agent.sampleOnce(pods());
  s = drain(agent, next);
  b = byPod(s, "burstable");
  ASSERT_NE(b, nullptr);
  EXPECT_FALSE(b->running);
  EXPECT_EQ(*b->oomKills, 2u);
  std::string json;
  appendJson(json, *b);
  EXPECT_NE(json.find("\"running\":false,\"oomKills\":2"), std::string::npos) << json;
}

TEST_F(NodeAgentTest, WithoutTheKernelLogTheCgroupCountersCount) {
  auto opts = options();
  opts.kmsgPath = dir.file("no-such-kmsg");
  NodeAgent agent(api, SystemClock::instance(), opts);
  ASSERT_TRUE(agent.init().ok());  // not fatal
  EXPECT_FALSE(agent.kernelLogOpen());
  agent.sampleOnce(pods());
  const auto s = drain(agent);
  EXPECT_EQ(*s[0].oomKills, 1u);  // its cgroup's oom_kill is 1
  EXPECT_EQ(*s[1].oomKills, 0u);  // its counter reads 0
  // A container without a cgroup and no log: nothing to count from.
  std::filesystem::remove_all(dir.file("cg/memory" + kKubepods + "/besteffort/pod" + kE));
  const auto next = agent.ring().nextSeq();
  agent.sampleOnce(pods());
  const auto after = drain(agent, next);
  const AgentSample* e = byPod(after, "besteffort");
  ASSERT_NE(e, nullptr);
  EXPECT_FALSE(e->running);
  EXPECT_FALSE(e->oomKills.has_value());
}

TEST_F(NodeAgentTest, SamplesPageAndBoundedBuffer) {
  NodeAgent agent(api, SystemClock::instance(), options());
  ASSERT_TRUE(agent.init().ok());
  for (int i = 0; i < 30; ++i)
    agent.sampleOnce(pods());  // 90 samples into 64 slots
  auto page = parseSamplesPage(agent.samplesPage(0, 10));
  ASSERT_TRUE(page.ok()) << page.error().message;
  EXPECT_EQ(page->node, "node-1");
  EXPECT_EQ(page->epoch, agent.epoch());
  EXPECT_EQ(page->samples.size(), 10u);
  EXPECT_EQ(page->samples.front().seq, 27u);  // the oldest kept
  EXPECT_TRUE(page->more);
  EXPECT_EQ(page->next, 37u);
  auto later = parseSamplesPage(agent.samplesPage(5, 1000));
  EXPECT_EQ(later->dropped, 22u);
  EXPECT_EQ(later->samples.size(), 64u);
  EXPECT_EQ(later->next, 91u);
  EXPECT_FALSE(later->more);
  EXPECT_EQ(agent.ring().size(), 64u);
}

TEST_F(NodeAgentTest, FollowsItsNodesPodsThroughTheApiAndServesThem) {
  api.put(lg::testing::podsRef("shop"),
          podJson("guaranteed", kG, "node-1", {{"app", cid('a'), ""}}));
  api.put(lg::testing::podsRef("shop"),
          podJson("elsewhere", kB, "node-2", {{"app", cid('b'), ""}}));
  NodeAgent agent(api, SystemClock::instance(), options());
  ASSERT_TRUE(agent.init().ok());
  testing::TokenReviewApi reviews;
  reviews.addToken("ctl", {kDefaultAllowedUser, {kDefaultTokenAudience}});
  TokenAuthenticator auth(reviews, SystemClock::instance(), {});
  auto cert = generateSelfSignedCertificate({"leakguard-agent"}, {});
  AgentServer server({.bindAddress = "127.0.0.1:0", .certificate = *cert});
  agent.registerRoutes(server, [&](std::string_view t) { return auth.authenticate(t); });
  ASSERT_TRUE(server.start().ok());
  agent.start();
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (agent.ring().size() < 3 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  ASSERT_GE(agent.ring().size(), 3u);
  for (const auto& s : drain(agent))
    EXPECT_EQ(s.id->pod, "guaranteed");
  EXPECT_TRUE(agent.healthy());

  auto client = sources::AgentClient::create({.caFile = dir.write("ca.crt", cert->certPem)});
  ASSERT_TRUE(client.ok());
  auto page = (*client)->fetchSamples("127.0.0.1", server.port(), 0, "ctl");
  ASSERT_TRUE(page.ok()) << page.error().message;
  EXPECT_GE(page->samples.size(), 3u);
  EXPECT_EQ((*client)->fetchSamples("127.0.0.1", server.port(), 0, "nope").error().code, 401);
  EXPECT_EQ(*(*client)->get("127.0.0.1", server.port(), "/healthz", ""), "ok\n");
  auto metrics = (*client)->get("127.0.0.1", server.port(), "/metrics", "ctl");
  ASSERT_TRUE(metrics.ok());
  EXPECT_NE(metrics->find("leakguard_agent_passes_total"), std::string::npos);
  EXPECT_NE(metrics->find("leakguard_agent_resident_memory_bytes"), std::string::npos);
  EXPECT_NE(
      metrics->find(
          "leakguard_agent_requests_total{path=\"/v1/samples\",outcome=\"unauthenticated\"} 1"),
      std::string::npos)
      << *metrics;
  EXPECT_EQ((*client)->get("127.0.0.1", server.port(), "/metrics", "").error().code, 401);
  EXPECT_EQ((*client)->get("127.0.0.1", server.port(), "/v1/samples?since=x", "ctl").error().code,
            400);

  const auto t0 = std::chrono::steady_clock::now();
  server.stop();
  agent.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
}

// Pods from the kubelet's log links (kubelet_pod_lister.h): no pod read from the API at all.
TEST_F(NodeAgentTest, FollowsItsNodesPodsThroughTheKubeletsLogLinks) {
  const std::string links = dir.file("containers");
  std::filesystem::create_directories(links);
  auto link = [&](const std::string& pod, const std::string& ns, const std::string& uid, char id,
                  int restart) {
    std::filesystem::create_symlink(
        "/var/log/pods/" + ns + "_" + pod + "_" + uid + "/app/" + std::to_string(restart) + ".log",
        links + "/" + pod + "_" + ns + "_app-" + cid(id) + ".log");
  };
  link("guaranteed", "shop", kG, 'a', 0);
  link("burstable", "shop", kB, '9', 0);  // the instance before a restart
  link("burstable", "shop", kB, 'b', 1);
  link("besteffort", "other", kE, 'e', 0);  // not a sampled namespace
  auto o = options();
  o.containerLogLinks = links;
  o.namespaces = {"shop"};
  NodeAgent agent(api, SystemClock::instance(), o);
  ASSERT_TRUE(agent.init().ok());
  agent.start();
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (agent.ring().size() < 4 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  agent.stop();
  const auto samples = drain(agent);
  ASSERT_GE(samples.size(), 4u);
  std::set<std::string> seen;
  for (const auto& s : samples) {
    seen.insert(s.id->pod);
    EXPECT_EQ(s.id->ns, "shop");
  }
  EXPECT_EQ(seen, (std::set<std::string>{"guaranteed", "burstable"}));
  const AgentSample* b = byPod(samples, "burstable");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->id->containerId, cid('b'));  // the newest instance, no runtime scheme
  EXPECT_EQ(b->id->podUid, kB);
  EXPECT_EQ(*b->data.memory.anon, 20u << 20);
  EXPECT_TRUE(agent.healthy());
  EXPECT_EQ(api.calls().size(), 0u) << "the agent read the API";
}

TEST_F(NodeAgentTest, NoCgroupHierarchyIsAnInitError) {
  auto opts = options();
  opts.cgroupRoot = dir.file("proc");
  NodeAgent agent(api, SystemClock::instance(), opts);
  EXPECT_FALSE(agent.init().ok());
  EXPECT_EQ(agent.sampleOnce(pods()), 0u);
}

}  // namespace
}  // namespace lg::agent
