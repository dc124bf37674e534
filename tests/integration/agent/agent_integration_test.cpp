// The node agent on the local cluster of e2e/cluster, run as a host process the way an operator
// would on a node: the real `leakguard agent` binary against the real API server, kubelet's
// nested cgroup v1 tree (auto-detected) and the kernel log. Each test gets a fresh namespace with
// two ServiceAccounts (the allowed "controller" and an "other"), and an agent of its own.
//
//   - only the allowed ServiceAccount's agent-audience token reads samples;
//   - 1,000 distinct bogus tokens cost a bounded number of TokenReviews;
//   - for a pod holding 100 MiB, the agent's working set and metrics-server's agree within 10 %
//     (and the AgentSource turns the samples into the controller's memory signal);
//   - an OOM-killed container (lgtest grow past a 64Mi limit) shows in the agent's OOM-kill
//     count, although the kernel counts a v1 kill only in the container's own cgroup, which is
//     gone with the container.
// Needs LG_KUBECONFIG (set by CTest); without it the tests skip, saying why.

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include "controllers/sources/agent_client.h"
#include "controllers/sources/agent_source.h"
#include "operator/kube/http_api_client.h"
#include "operator/kube/kubeconfig.h"
#include "operator/kube/quantity.h"
#include "operator/kube/rfc3339.h"
#include "tests/fakes/kube/temp_dir.h"

#ifndef LG_LEAKGUARD_BIN
#error "LG_LEAKGUARD_BIN must name the leakguard binary"
#endif
#ifndef LG_SOURCE_DIR
#error "LG_SOURCE_DIR must name the source tree"
#endif

extern char** environ;

namespace lg::agent::integration {
namespace {

using namespace std::chrono_literals;
constexpr const char* kNode = "lg-node";
constexpr const char* kImage = "localhost/lg-test:1";

kube::ResourceRef core(std::string resource, std::string ns = "", std::string name = "",
                       std::string sub = "") {
  return {.version = "v1",
          .resource = std::move(resource),
          .ns = std::move(ns),
          .name = std::move(name),
          .subresource = std::move(sub)};
}

bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(500ms);
  }
  return pred();
}

std::uint16_t freePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

nlohmann::json lgtestPod(const std::string& name, const std::vector<std::string>& args,
                         const std::string& limit, const std::string& restart) {
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", {{"name", name}}},
          {"spec",
           {{"restartPolicy", restart},
            {"terminationGracePeriodSeconds", 1},
            {"automountServiceAccountToken", false},
            {"nodeName", kNode},
            {"containers",
             {{{"name", "main"},
               {"image", kImage},
               {"imagePullPolicy", "Never"},
               {"command", {"/lgtest"}},
               {"args", args},
               {"resources",
                {{"requests", {{"cpu", "10m"}, {"memory", "16Mi"}}},
                 {"limits", {{"memory", limit}}}}}}}}}}};
}

class AgentOnCluster : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* path = std::getenv("LG_KUBECONFIG");
    if (!path || !*path)
      GTEST_SKIP() << "LG_KUBECONFIG is not set: these tests need the local cluster "
                      "(export LG_KUBECONFIG=$(e2e/cluster/kubeconfig))";
    kubeconfig_ = path;
    auto cfg = kube::loadKubeconfig(kubeconfig_);
    ASSERT_TRUE(cfg.ok()) << cfg.error().message;
    auto client = kube::HttpApiClient::create(*cfg, {.timeout = 20s});
    ASSERT_TRUE(client.ok()) << client.error().message;
    api_ = std::move(*client);
    ensureImage();
    std::random_device rd;
    char suffix[16];
    std::snprintf(suffix, sizeof suffix, "%06x", rd() & 0xffffff);
    ns_ = std::string("lg-agent-it-") + suffix;
    ASSERT_TRUE(
        api_->create(core("namespaces"),
                     {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns_}}}})
            .ok());
    for (const char* sa : {"controller", "other"}) {
      auto r = api_->create(
          core("serviceaccounts", ns_),
          {{"apiVersion", "v1"}, {"kind", "ServiceAccount"}, {"metadata", {{"name", sa}}}});
      ASSERT_TRUE(r.ok()) << r.error().message;
    }
    ASSERT_TRUE(
        eventually([&] { return api_->get(core("serviceaccounts", ns_, "default")).ok(); }, 60s));
    controllerToken_ = token("controller", {"leakguard-agent"});
    ASSERT_FALSE(controllerToken_.empty());
    startAgent();
  }

  void TearDown() override {
    if (agentPid_ > 0) {
      ::kill(agentPid_, SIGTERM);
      int status = 0;
      bool exited = false;
      for (int i = 0; i < 100 && !exited; ++i) {
        exited = ::waitpid(agentPid_, &status, WNOHANG) == agentPid_;
        if (!exited) std::this_thread::sleep_for(100ms);
      }
      if (!exited) {
        ::kill(agentPid_, SIGKILL);
        ::waitpid(agentPid_, &status, 0);
        ADD_FAILURE() << "the agent did not stop within 10 s of SIGTERM";
      } else {
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "agent exit " << status;
      }
      if (HasFailure()) std::cerr << "agent log:\n" << agentLog() << "\n";
    }
    if (api_ && !ns_.empty()) {
      kube::DeleteOptions d;
      d.propagationPolicy = "Background";
      d.gracePeriodSeconds = 0;
      (void)api_->remove(core("namespaces", "", ns_), d);
    }
  }

  // localhost/lg-test:1 in the node's containerd: e2e/workloads/build-images builds and
  // imports the test images that are missing.
  void ensureImage() {
    const std::string cmd = std::string(LG_SOURCE_DIR) + "/e2e/workloads/build-images >&2";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << "could not load " << kImage;
  }

  // A TokenRequest for a ServiceAccount of the test namespace.
  std::string token(const std::string& sa, const std::vector<std::string>& audiences) {
    nlohmann::json body = {{"apiVersion", "authentication.k8s.io/v1"},
                           {"kind", "TokenRequest"},
                           {"spec", {{"expirationSeconds", 3600}}}};
    if (!audiences.empty()) body["spec"]["audiences"] = audiences;
    auto r = api_->create(core("serviceaccounts", ns_, sa, "token"), body);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? (*r)["status"].value("token", "") : "";
  }

  void startAgent() {
    port_ = freePort();
    logPath_ = dir_.file("agent.log");
    const std::string listen = "127.0.0.1:" + std::to_string(port_);
    const std::string allowed = "system:serviceaccount:" + ns_ + ":controller";
    std::vector<std::string> args{LG_LEAKGUARD_BIN, "agent", "--kubeconfig",   kubeconfig_,
                                  "--node-name",    kNode,   "--listen",       listen,
                                  "--interval",     "2s",    "--allowed-user", allowed,
                                  "--log-level",    "debug"};
    std::vector<char*> argv;
    for (auto& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 2, logPath_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    const int rc = posix_spawn(&agentPid_, argv[0], &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    ASSERT_EQ(rc, 0) << "cannot start " << argv[0];
    auto c = sources::AgentClient::create({.timeout = 5s});
    ASSERT_TRUE(c.ok());
    client_ = std::move(*c);
    ASSERT_TRUE(
        eventually([&] { return client_->get("127.0.0.1", port_, "/healthz", "").ok(); }, 30s))
        << "the agent did not come up:\n"
        << agentLog();
  }

  std::string wholeAgentLog() const {
    std::ifstream in(logPath_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  // Its last 6,000 bytes, for failure messages.
  std::string agentLog() const {
    std::string s = wholeAgentLog();
    return s.size() > 6000 ? "..." + s.substr(s.size() - 6000) : s;
  }

  // Every sample of the pod's container "main" the agent holds.
  std::vector<AgentSample> samplesOf(const std::string& pod) {
    std::vector<AgentSample> out;
    std::uint64_t since = 0;
    for (int page = 0; page < 20; ++page) {
      auto p = client_->fetchSamples("127.0.0.1", port_, since, controllerToken_);
      if (!p) {
        ADD_FAILURE() << p.error().message;
        return out;
      }
      for (auto& s : p->samples)
        if (s.id->ns == ns_ && s.id->pod == pod && s.id->container == "main")
          out.push_back(std::move(s));
      since = p->next;
      if (!p->more) break;
    }
    return out;
  }

  bool podPhase(const std::string& pod, const std::string& phase) {
    auto p = api_->get(core("pods", ns_, pod));
    return p.ok() && (*p)["status"].value("phase", "") == phase;
  }

  kube::testing::TempDir dir_;
  std::string kubeconfig_;
  std::unique_ptr<kube::HttpApiClient> api_;
  std::unique_ptr<sources::AgentClient> client_;
  std::string ns_;
  std::string controllerToken_;
  std::string logPath_;
  std::uint16_t port_ = 0;
  pid_t agentPid_ = -1;
};

TEST_F(AgentOnCluster, OnlyTheAllowedServiceAccountReadsSamples) {
  const auto code = [&](const std::string& target, const std::string& tok) {
    auto r = client_->get("127.0.0.1", port_, target, tok);
    return r.ok() ? 200 : r.error().code;
  };
  EXPECT_EQ(code("/v1/samples", ""), 401);
  EXPECT_EQ(code("/v1/samples", "not-a-token"), 401);
  EXPECT_EQ(code("/v1/samples", token("other", {"leakguard-agent"})), 403);
  // The controller's token for the API server (default audience) is not one for the agents.
  EXPECT_EQ(code("/v1/samples", token("controller", {})), 401);
  EXPECT_EQ(code("/metrics", ""), 401);
  EXPECT_EQ(code("/healthz", ""), 200);
  auto page = client_->fetchSamples("127.0.0.1", port_, 0, controllerToken_);
  ASSERT_TRUE(page.ok()) << page.error().message;
  EXPECT_EQ(page->node, kNode);
  EXPECT_FALSE(page->epoch.empty());
  auto metrics = client_->get("127.0.0.1", port_, "/metrics", controllerToken_);
  ASSERT_TRUE(metrics.ok()) << metrics.error().message;
  EXPECT_NE(metrics->find("leakguard_agent_passes_total"), std::string::npos);
}

// The value of one series in a Prometheus text exposition; 0 when absent.
double seriesValue(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.starts_with(series + " ")) return std::stod(line.substr(series.size() + 1));
  return 0;
}

// Anyone who reaches an agent's port could make it ask the API server about every token they
// make up. 1,000 distinct bogus tokens cost at most the agent's review burst (20) plus its rate
// (5 per second) over the time they took, each is answered 401 or 429, the refusals are logged
// at most once per 10 s, and the controller, known to the agent before, reads all the same.
TEST_F(AgentOnCluster, AThousandBogusTokensCostABoundedNumberOfTokenReviews) {
  ASSERT_TRUE(client_->fetchSamples("127.0.0.1", port_, 0, controllerToken_).ok());
  const auto start = std::chrono::steady_clock::now();
  int unauthorized = 0, throttled = 0;
  std::map<int, int> other;
  for (int i = 0; i < 1000; ++i) {
    auto r = client_->get("127.0.0.1", port_, "/v1/samples", "bogus-" + std::to_string(i));
    const int code = r.ok() ? 200 : r.error().code;
    if (code == 401) {
      ++unauthorized;
    } else if (code == 429) {
      ++throttled;
    } else {
      ++other[code];
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_TRUE(other.empty()) << "answers other than 401 and 429: " << other.size();
  EXPECT_EQ(unauthorized + throttled, 1000);

  auto page = client_->fetchSamples("127.0.0.1", port_, 0, controllerToken_);
  ASSERT_TRUE(page.ok()) << "the controller after the flood: " << page.error().message;
  auto metrics = client_->get("127.0.0.1", port_, "/metrics", controllerToken_);
  ASSERT_TRUE(metrics.ok()) << metrics.error().message;
  const double reviews =
      seriesValue(*metrics, "leakguard_agent_token_reviews_total{result=\"unauthenticated\"}");
  const double refusedUnreviewed =
      seriesValue(*metrics, "leakguard_agent_token_reviews_throttled_total");
  std::cout << "1000 bogus tokens in " << seconds << " s: " << reviews << " TokenReviews, "
            << unauthorized << " answered 401, " << throttled << " answered 429\n";
  EXPECT_LE(reviews, 20 + 5 * seconds + 1);
  EXPECT_EQ(reviews, unauthorized);  // every review said 401; everything else went unreviewed
  EXPECT_EQ(refusedUnreviewed, throttled);

  const std::string log = wholeAgentLog();
  int refusalLines = 0;
  for (std::size_t at = log.find("agent request refused"); at != std::string::npos;
       at = log.find("agent request refused", at + 1))
    ++refusalLines;
  EXPECT_GE(refusalLines, 1);
  EXPECT_LE(refusalLines, 2 + seconds / 10) << "refusals are logged at most once per 10 s";
}

TEST_F(AgentOnCluster, WorkingSetAgreesWithMetricsServer) {
  auto created =
      api_->create(core("pods", ns_), lgtestPod("hold", {"hold", "100"}, "256Mi", "Always"));
  ASSERT_TRUE(created.ok()) << created.error().message;
  const std::string uid = (*created)["metadata"]["uid"];
  ASSERT_TRUE(eventually([&] { return podPhase("hold", "Running"); }, 120s));

  // The agent sees the 100 MiB once lgtest has touched them.
  double heldSince = 0;
  ASSERT_TRUE(eventually(
      [&] {
        for (const auto& s : samplesOf("hold"))
          if (s.running && s.data.memory.anon && *s.data.memory.anon >= (100u << 20)) {
            heldSince = s.time;
            return true;
          }
        return false;
      },
      90s))
      << agentLog();
  const auto held = samplesOf("hold").back();
  EXPECT_EQ(held.id->podUid, uid);
  EXPECT_EQ(held.data.version, 1);
  EXPECT_NE(held.data.cgroup.find("/kubepods/burstable/pod" + uid + "/"), std::string::npos)
      << held.data.cgroup;
  EXPECT_EQ(*held.data.memory.limit, 256u << 20);
  EXPECT_EQ(*held.data.processes.processes, 1u);
  EXPECT_EQ(*held.data.processes.threads, 1u);
  EXPECT_GE(*held.data.processes.fdsMax, 3u);
  EXPECT_EQ(*held.data.pids.current, 1u);

  // metrics-server's figure for a window that ends after the agent saw the memory held.
  const kube::ResourceRef pm{.group = "metrics.k8s.io",
                             .version = "v1beta1",
                             .resource = "pods",
                             .ns = ns_,
                             .name = "hold"};
  double msBytes = 0, msTime = 0;
  ASSERT_TRUE(eventually(
      [&] {
        auto m = api_->get(pm);
        if (!m.ok()) return false;
        auto ts = kube::parseRfc3339((*m).value("timestamp", ""));
        if (!ts.ok() || toSeconds(*ts) < heldSince + 1) return false;
        for (const auto& c : (*m)["containers"])
          if (c.value("name", "") == "main") {
            auto q = kube::Quantity::parse(c["usage"].value("memory", ""));
            if (!q.ok()) return false;
            msBytes = q->value();
            msTime = toSeconds(*ts);
            return true;
          }
        return false;
      },
      180s))
      << "metrics-server had no sample for the pod after it held its memory";

  // The agent's working set nearest in time to metrics-server's.
  const auto samples = samplesOf("hold");
  const AgentSample* nearest = nullptr;
  for (const auto& s : samples)
    if (s.running && s.data.memory.workingSet &&
        (!nearest || std::abs(s.time - msTime) < std::abs(nearest->time - msTime)))
      nearest = &s;
  ASSERT_NE(nearest, nullptr);
  const double agentWs = static_cast<double>(*nearest->data.memory.workingSet);
  const double diff = std::abs(agentWs - msBytes) / msBytes;
  std::cout << std::fixed << "working set: agent " << agentWs / (1 << 20) << " MiB at "
            << nearest->time << ", metrics-server " << msBytes / (1 << 20) << " MiB at " << msTime
            << ", difference " << diff * 100 << " %\n";
  EXPECT_LE(diff, 0.10);
  EXPECT_GE(msBytes, 100.0 * (1 << 20));

  // The controller's side: AgentSource turns the samples into anon + shmem for the UsageHub.
  std::mutex mu;
  std::vector<lg::sources::UsageSample> got;
  sources::AgentSource src(
      SystemClock::instance(),
      {.endpoints =
           [&] {
             return std::vector<sources::AgentEndpoint>{{"agent", kNode, "127.0.0.1", port_}};
           },
       .token = [&] { return Result<std::string>(controllerToken_); },
       .client = {.timeout = 10s}},
      [&](const lg::sources::UsageSample& u) {
        std::lock_guard g(mu);
        if (u.podUid == uid) got.push_back(u);
      });
  ASSERT_TRUE(src.init().ok());
  src.pollOnce();
  EXPECT_EQ(src.status().reachable, 1u) << src.status().lastError;
  double memory = -1;
  for (const auto& u : got)
    if (u.resource == detect::Resource::kMemory) memory = u.value;
  EXPECT_GE(memory, 100.0 * (1 << 20));
  EXPECT_LE(memory, 110.0 * (1 << 20));
}

TEST_F(AgentOnCluster, AnOomKillShowsInTheAgentsCount) {
  auto created =
      api_->create(core("pods", ns_), lgtestPod("oom", {"grow", "512"}, "64Mi", "Always"));
  ASSERT_TRUE(created.ok()) << created.error().message;
  const std::string uid = (*created)["metadata"]["uid"];
  // kubelet reports the kill (the container restarts, crash-looping).
  ASSERT_TRUE(eventually(
      [&] {
        auto p = api_->get(core("pods", ns_, "oom"));
        if (!p.ok()) return false;
        for (const auto& cs : (*p)["status"].value("containerStatuses", nlohmann::json::array())) {
          const auto reason = [&](const char* state) {
            const auto& s = cs.value(state, nlohmann::json::object());
            return s.contains("terminated") ? s["terminated"].value("reason", "") : std::string();
          };
          if (reason("lastState") == "OOMKilled" || reason("state") == "OOMKilled") return true;
        }
        return false;
      },
      120s));
  std::uint64_t kills = 0;
  ASSERT_TRUE(eventually(
      [&] {
        for (const auto& s : samplesOf("oom"))
          if (s.oomKills) kills = std::max(kills, *s.oomKills);
        return kills >= 1;
      },
      60s))
      << agentLog();
  const auto samples = samplesOf("oom");
  ASSERT_FALSE(samples.empty());
  EXPECT_EQ(samples.back().id->podUid, uid);
  // Not more kills than the pod has had containers.
  auto p = api_->get(core("pods", ns_, "oom"));
  ASSERT_TRUE(p.ok());
  const int restarts = (*p)["status"]["containerStatuses"][0].value("restartCount", 0);
  EXPECT_LE(kills, static_cast<std::uint64_t>(restarts) + 1);
  std::cout << "agent OOM-kill count " << kills << ", pod restarts " << restarts << "\n";
}

}  // namespace
}  // namespace lg::agent::integration
