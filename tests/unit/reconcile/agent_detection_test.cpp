#include "controllers/reconcile/agent_detection.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>

#include "controllers/agent/agent_server.h"
#include "controllers/agent/certificate_request.h"
#include "controllers/reconcile/node_detector.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/kube/temp_dir.h"

namespace lg::reconcile {
namespace {

using namespace std::chrono_literals;
constexpr double kStart = 1.8e9;

agent::AgentSample sampleOf(double t, const std::string& uid, double anon) {
  agent::AgentSample s;
  s.time = t;
  s.id = std::make_shared<agent::ContainerIdentity>(
      agent::ContainerIdentity{uid, "shop", "web-" + uid, "app", "containerd://a"});
  s.running = true;
  s.data.memory.anon = static_cast<std::uint64_t>(anon);
  s.data.memory.shmem = 0;
  s.data.memory.limit = 1000000000;
  return s;
}

// A leak on uid-1 (flat for an hour, then +200 MB/h), every 15 s; the last sample's time.
double feedLeak(NodeDetector& d, int samples) {
  double t = kStart;
  for (int n = 0; n < samples; ++n, t += 15)
    d.observe(sampleOf(t, "uid-1",
                       2e8 + (n > 240 ? (n - 240) * 15.0 / 3600 * 2e8 : 0) + 1e6 * std::sin(n)));
  return t - 15;
}

agent::AuthResult allowCtl(std::string_view t) {
  return t == "ctl" ? agent::AuthResult{agent::AuthResult::Outcome::kAllowed, "ctl", ""}
                    : agent::AuthResult{agent::AuthResult::Outcome::kUnauthenticated, "", "no"};
}

class AgentDetectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto cert = agent::generateSelfSignedCertificate({"leakguard-agent"}, {"127.0.0.1"});
    ASSERT_TRUE(cert.ok());
    cert_ = *cert;
    caFile_ = dir_.write("ca.crt", cert_.certPem);
    at(kStart);
  }
  void at(double t) {
    clock_.setWall(Clock::time_point(
        std::chrono::duration_cast<Clock::time_point::duration>(std::chrono::duration<double>(t))));
  }
  // An agent whose detection routes are those of *detector_ (swapped to restart it), or of
  // `handler` in their place.
  void serve(std::function<agent::HttpResponse(const agent::HttpRequest&)> handler = nullptr) {
    server_ = std::make_unique<agent::AgentServer>(
        agent::AgentServerOptions{.bindAddress = "127.0.0.1:0", .certificate = cert_});
    if (handler) {
      server_->postRoute("/v1/detection", agent::requireAuthentication(allowCtl, handler));
    } else if (handler == nullptr && detecting_) {
      server_->postRoute("/v1/detection",
                         agent::requireAuthentication(allowCtl, [this](const auto& req) {
                           if (req.body.find("\"pods\"") != std::string::npos) ++sent_;
                           return detectionRoutes(*current_.load(), nullptr)[0].handler(req);
                         }));
      server_->route("/v1/series", agent::requireAuthentication(allowCtl, [this](const auto& req) {
                       return detectionRoutes(*current_.load(), nullptr)[1].handler(req);
                     }));
      server_->route("/v1/sizing", agent::requireAuthentication(allowCtl, [this](const auto& req) {
                       return detectionRoutes(*current_.load(), nullptr)[2].handler(req);
                     }));
    }
    ASSERT_TRUE(server_->start().ok());
  }
  // The test's one assignment.
  static DetectionAssignment assignment() {
    return {.profiles = {{}},
            .pods = {{.uid = "uid-1", .containers = {{.name = "app", .profile = {0, -1, -1}}}}}};
  }
  static std::uint64_t generation() { return assignmentGeneration(assignment()); }
  std::unique_ptr<AgentDetection> detection(std::function<bool()> ready = nullptr) {
    auto d = std::make_unique<AgentDetection>(
        clock_, AgentDetectionOptions{
                    .endpoints =
                        [this] {
                          return std::vector<sources::AgentEndpoint>{
                              {"agent-a", "node-1", "127.0.0.1", server_->port()}};
                        },
                    .token = []() -> Result<std::string> { return std::string("ctl"); },
                    .client = {.caFile = caFile_, .timeout = 3s},
                    .assignments =
                        [this](const std::set<std::string>& nodes) {
                          ++assignmentsAsked_;
                          std::map<std::string, DetectionAssignment> out;
                          for (const auto& n : nodes)
                            out[n] = current_assignment_;
                          return out;
                        },
                    .ready = std::move(ready),
                    .assigned = [this](const std::string& uid) { assigned_.push_back(uid); }});
    EXPECT_TRUE(d->init().ok());
    d->onFinding(
        [this](const SeriesKey&, const SeriesView&, const detect::Finding&) { ++findings_; });
    return d;
  }

  lg::kube::testing::TempDir dir_;
  lg::testing::FakeClock clock_;
  agent::ServingCertificate cert_;
  std::string caFile_;
  NodeDetector first_{clock_, {.node = "node-1", .epoch = "e1"}};
  std::atomic<NodeDetector*> current_{&first_};
  bool detecting_ = true;
  std::unique_ptr<agent::AgentServer> server_;
  int assignmentsAsked_ = 0;
  std::vector<std::string> assigned_;
  std::atomic<int> findings_{0};
  std::atomic<int> sent_{0};                               // assignments the agent received
  DetectionAssignment current_assignment_ = assignment();  // what the controller works out
};

TEST_F(AgentDetectionTest, AssignsThenReadsFindingsLastSamplesAndHistory) {
  serve();
  auto d = detection();
  d->pollOnce();
  EXPECT_EQ(first_.generation(), generation());
  EXPECT_TRUE(d->detects("node-1"));
  EXPECT_FALSE(d->refused("node-1"));
  EXPECT_TRUE(d->holds("uid-1"));
  EXPECT_FALSE(d->holds("uid-2"));
  EXPECT_EQ(assigned_, std::vector<std::string>{"uid-1"});
  EXPECT_FALSE(d->lastSampleTime("uid-1").has_value());

  const double last = feedLeak(first_, 8 * 240);
  at(last + 5);
  d->pollOnce();
  EXPECT_EQ(d->lastSampleTime("uid-1"), last);
  const auto found = d->currentFindings("uid-1", last + 5);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].second.pod, "web-uid-1");
  EXPECT_GE(findings_.load(), 1);
  EXPECT_TRUE(d->currentFindings("uid-1", last + 3600).empty()) << "past the findings' ttl";
  const SeriesKey key{"uid-1", "app", detect::Resource::kMemory};
  EXPECT_GT(d->history(key).size(), 1000u);
  auto v = d->view(key);
  ASSERT_TRUE(v.has_value());
  EXPECT_TRUE(v->finding.has_value());
  EXPECT_TRUE(d->history({"uid-2", "app", detect::Resource::kMemory}).empty());
  const auto st = d->status();
  EXPECT_EQ(st.detecting, 1u);
  EXPECT_EQ(st.findings, 1u);
  EXPECT_EQ(st.pods, 1u);

  // Unchanged, the assignment is not worked out again; a change to the node's pods makes it
  // so, and the same content is not sent again under a new generation.
  const int asked = assignmentsAsked_;
  const int before = findings_.load();
  d->pollOnce();
  EXPECT_EQ(assignmentsAsked_, asked);
  EXPECT_EQ(findings_.load(), before) << "the same finding is not raised twice";
  d->nodeChanged("node-1");
  d->pollOnce();
  EXPECT_EQ(assignmentsAsked_, asked + 1);
  EXPECT_EQ(first_.generation(), generation());
}

// Sizing asks the agent for a summary of the current container's samples (a few values with
// their counts), not for the samples: the same summary the agent's hub makes of them.
TEST_F(AgentDetectionTest, SizingReadsTheAgentsSummaryOfASeries) {
  serve();
  auto d = detection();
  d->pollOnce();
  for (int n = 0; n < 720; ++n)  // two hours, flat with some noise
    first_.observe(sampleOf(kStart + n * 10, "uid-1", 2e8 + (n % 7) * 65536.0));
  at(kStart + 7200);
  const SeriesKey key{"uid-1", "app", detect::Resource::kMemory};
  const detect::SizingOptions opts{.minHistorySeconds = 3600};
  const auto got = d->sizingSeries(key, opts);
  const auto want = first_.sizing(key, opts);
  ASSERT_TRUE(got.has_value());
  ASSERT_TRUE(want.has_value());
  EXPECT_EQ(got->assessment.shape, detect::UsageShape::kSteady);
  EXPECT_EQ(got->settled, want->settled);
  EXPECT_EQ(got->settled.size(), 7u);
  EXPECT_FALSE(d->sizingSeries({"uid-2", "app", detect::Resource::kMemory}, opts).has_value());
}

TEST_F(AgentDetectionTest, ARestartedAgentGetsItsAssignmentInTheSameRound) {
  serve();
  auto d = detection();
  d->pollOnce();
  ASSERT_EQ(first_.generation(), generation());
  NodeDetector restarted{clock_, {.node = "node-1", .epoch = "e2"}};
  current_ = &restarted;
  d->pollOnce();
  EXPECT_EQ(restarted.generation(), generation());
  EXPECT_EQ(d->status().lastError, "");
}

// A controller that restarts (or its other replica) finds the agent following the assignment
// it works out: nothing is sent again, the agent's series keep their history, and its reports
// are believed. Before the caches are whole nothing is assigned at all: an assignment from a
// cache still listing would take series (and hours of history) away from the agent.
TEST_F(AgentDetectionTest, ARestartedControllerLeavesTheAgentsSeriesAlone) {
  serve();
  auto d = detection();
  d->pollOnce();
  ASSERT_EQ(sent_.load(), 1);
  const double last = feedLeak(first_, 100);
  at(last + 5);
  const SeriesKey key{"uid-1", "app", detect::Resource::kMemory};
  const auto kept = first_.series(key, true).history.size();

  bool synced = false;
  auto restarted = detection([&synced] { return synced; });
  restarted->pollOnce();  // caches still listing: nothing assigned, nothing believed
  EXPECT_EQ(sent_.load(), 1);
  EXPECT_FALSE(restarted->holds("uid-1"));
  synced = true;
  restarted->pollOnce();
  EXPECT_EQ(sent_.load(), 1) << "the agent follows this assignment already";
  EXPECT_TRUE(restarted->holds("uid-1"));
  EXPECT_EQ(restarted->lastSampleTime("uid-1"), last);
  EXPECT_EQ(first_.series(key, true).history.size(), kept);
}

// A pod the assignment no longer names is no longer the agent's: neither its last sample nor
// its findings are read from it.
TEST_F(AgentDetectionTest, APodLeftOutOfTheAssignmentIsNoLongerTheAgents) {
  serve();
  current_assignment_.pods.push_back(
      {.uid = "uid-2", .containers = {{.name = "app", .profile = {0, -1, -1}}}});
  auto d = detection();
  d->pollOnce();
  EXPECT_TRUE(d->holds("uid-1"));
  EXPECT_TRUE(d->holds("uid-2"));
  current_assignment_.pods.pop_back();
  d->nodeChanged("node-1");
  d->pollOnce();
  EXPECT_TRUE(d->holds("uid-1"));
  EXPECT_FALSE(d->holds("uid-2"));
  EXPECT_EQ(d->status().pods, 1u);
}

// What an agent reports is what is current: a finding it no longer reports (the container
// restarted, its detector reset) is gone at once, not kept for the findings' time to live.
TEST_F(AgentDetectionTest, AFindingTheAgentNoLongerReportsIsGone) {
  std::atomic<bool> leaking{true};
  serve([&](const agent::HttpRequest& req) {
    auto parsed = parseDetectionRequest(req.body);
    SeriesView v{.ns = "shop", .pod = "web", .container = "app"};
    v.finding = detect::Finding{.time = kStart};
    DetectionReport r{.node = "node-1",
                      .epoch = "e1",
                      .generation = parsed->generation,
                      .time = kStart,
                      .pods = {{"uid-1", kStart}}};
    if (leaking) r.findings = {{{"uid-1", "app", detect::Resource::kMemory}, v}};
    return agent::HttpResponse{.body = toJson(r)};
  });
  auto d = detection();
  d->pollOnce();
  EXPECT_EQ(d->currentFindings("uid-1", kStart).size(), 1u);
  leaking = false;
  d->pollOnce();
  EXPECT_TRUE(d->currentFindings("uid-1", kStart).empty());
}

// A compromised node's agent could make up leaks for pods anywhere: the controller believes it
// only about the pods assigned to it (those the API server places on its node), and not about
// findings dated ahead of the controller's clock.
TEST_F(AgentDetectionTest, AnAgentIsBelievedOnlyAboutThePodsAssignedToIt) {
  std::string node = "node-1";
  serve([&](const agent::HttpRequest& req) {
    auto parsed = parseDetectionRequest(req.body);
    SeriesView v{.ns = "shop", .pod = "web", .container = "app"};
    v.finding = detect::Finding{.time = kStart};
    SeriesView future = v;
    future.finding->time = kStart + 3600;
    DetectionReport r{.node = node,
                      .epoch = "e1",
                      .generation = parsed->generation,
                      .time = kStart,
                      .pods = {{"uid-1", kStart}, {"uid-9", kStart}},
                      .findings = {{{"uid-1", "app", detect::Resource::kMemory}, v},
                                   {{"uid-1", "app", detect::Resource::kFds}, future},
                                   {{"uid-9", "app", detect::Resource::kMemory}, v}}};
    return agent::HttpResponse{.body = toJson(r)};
  });
  auto d = detection();
  d->pollOnce();
  EXPECT_EQ(d->lastSampleTime("uid-1"), kStart);
  EXPECT_FALSE(d->lastSampleTime("uid-9").has_value());
  EXPECT_FALSE(d->holds("uid-9"));
  EXPECT_TRUE(d->currentFindings("uid-9", kStart).empty());
  const auto found = d->currentFindings("uid-1", kStart);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].first.resource, detect::Resource::kMemory);
  EXPECT_EQ(findings_.load(), 1);

  node = "node-2";  // answers as another node's agent
  d->pollOnce();
  EXPECT_NE(d->status().lastError.find("reports for node node-2"), std::string::npos)
      << d->status().lastError;
}

TEST_F(AgentDetectionTest, AnAgentThatDoesNotDetectIsLeftToTheSamplesSource) {
  detecting_ = false;
  serve();
  auto d = detection();
  d->pollOnce();
  EXPECT_TRUE(d->refused("node-1"));
  EXPECT_FALSE(d->detects("node-1"));
  EXPECT_FALSE(d->holds("uid-1"));
  EXPECT_EQ(d->status().refusing, 1u);
  EXPECT_EQ(d->status().lastError, "");
}

}  // namespace
}  // namespace lg::reconcile
