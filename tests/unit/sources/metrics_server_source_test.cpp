#include "controllers/sources/metrics_server_source.h"

#include <gtest/gtest.h>

#include <mutex>
#include <sstream>

#include "operator/kube/rfc3339.h"
#include "operator/util/logger.h"
#include "tests/fakes/fake_api_client.h"
#include "tests/fakes/fake_clock.h"

namespace lg::sources {
namespace {

const kube::ResourceRef kPodMetrics{
    .group = "metrics.k8s.io", .version = "v1beta1", .resource = "pods"};

nlohmann::json podMetrics(const std::string& ns, const std::string& name,
                          const std::string& memory) {
  return {{"apiVersion", "metrics.k8s.io/v1beta1"},
          {"kind", "PodMetrics"},
          {"metadata", {{"name", name}, {"namespace", ns}}},
          {"timestamp", "2026-11-25T19:35:18Z"},
          {"window", "15s"},
          {"containers", {{{"name", "app"}, {"usage", {{"cpu", "10m"}, {"memory", memory}}}}}}};
}

// A pod of the cache: container "app" with a 256Mi limit; uid "uid-<name>".
std::shared_ptr<const runtime::PodProjection> cachedPod(const std::string& ns,
                                                        const std::string& name) {
  const nlohmann::json pod = {
      {"metadata", {{"namespace", ns}, {"name", name}, {"uid", "uid-" + name}}},
      {"spec",
       {{"nodeName", "n1"},
        {"containers", {{{"name", "app"}, {"resources", {{"limits", {{"memory", "256Mi"}}}}}}}}}},
      {"status",
       {{"containerStatuses", {{{"name", "app"}, {"containerID", "containerd://abc-" + name}}}}}}};
  auto p = runtime::projectPod(pod);
  return p ? std::make_shared<const runtime::PodProjection>(std::move(*p)) : nullptr;
}

// Every pod the tests name is in the cache except those in namespace "gone".
std::shared_ptr<const runtime::PodProjection> lookup(const std::string& ns,
                                                     const std::string& name) {
  return ns == "gone" ? nullptr : cachedPod(ns, name);
}

class MetricsServerSourceTest : public ::testing::Test {
 protected:
  MetricsServerSource source{api, clock, std::chrono::seconds(15), lookup,
                             [this](const UsageSample& u) {
                               std::lock_guard g(mu);
                               got.push_back(u);
                             }};
  std::vector<UsageSample> usages() {
    std::lock_guard g(mu);
    return got;
  }
  lg::testing::FakeApiClient api;
  lg::testing::FakeClock clock;
  std::mutex mu;
  std::vector<UsageSample> got;
};

TEST_F(MetricsServerSourceTest, APodMetricsListBecomesSamples) {
  api.put(kPodMetrics, podMetrics("shop", "web-1", "100Mi"));
  api.put(kPodMetrics, podMetrics("kube-system", "dns", "20Mi"));
  EXPECT_FALSE(source.status().everPolled);
  source.pollOnce();
  const auto u = usages();
  ASSERT_EQ(u.size(), 2u);
  double total = 0;
  for (const auto& x : u) {
    EXPECT_EQ(x.container, "app");
    // What the pod cache adds: the uid, the container id, the memory limit.
    EXPECT_EQ(x.podUid, "uid-" + x.pod);
    EXPECT_EQ(x.containerId, "containerd://abc-" + x.pod);
    EXPECT_DOUBLE_EQ(x.limit, 256.0 * 1024 * 1024);
    EXPECT_EQ(x.resource, detect::Resource::kMemory);
    EXPECT_EQ(x.source, Source::kMetricsServer);
    EXPECT_DOUBLE_EQ(x.time, toSeconds(*kube::parseRfc3339("2026-11-25T19:35:18Z")));
    total += x.value;
  }
  EXPECT_DOUBLE_EQ(total, 120.0 * 1024 * 1024);
  const auto st = source.status();
  EXPECT_TRUE(st.everPolled);
  EXPECT_TRUE(st.available);
  EXPECT_EQ(st.lastSamples, 2u);
  EXPECT_DOUBLE_EQ(st.lastSuccess, toSeconds(clock.now()));
  EXPECT_EQ(st.message, "");
  // One cluster-wide list of the metrics API per poll.
  const auto calls = api.calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].verb, "list");
  EXPECT_EQ(calls[0].path, "/apis/metrics.k8s.io/v1beta1/pods");
}

TEST_F(MetricsServerSourceTest, PodsAndContainersTheCacheDoesNotKnowGiveNothing) {
  api.put(kPodMetrics, podMetrics("gone", "web-1", "100Mi"));  // no such pod in the cache
  nlohmann::json sidecar = podMetrics("shop", "web-2", "5Mi");
  sidecar["containers"][0]["name"] = "sidecar";  // the cached pod has no such container
  api.put(kPodMetrics, sidecar);
  api.put(kPodMetrics, podMetrics("shop", "web-3", "7Mi"));
  source.pollOnce();
  const auto u = usages();
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].pod, "web-3");
  EXPECT_EQ(u[0].limit, 256.0 * 1024 * 1024);
}

TEST_F(MetricsServerSourceTest, MalformedItemsAreSkipped) {
  api.put(kPodMetrics, podMetrics("shop", "good", "1Mi"));
  api.put(kPodMetrics, podMetrics("shop", "bad", "lots"));
  nlohmann::json noTime = podMetrics("shop", "no-time", "1Mi");
  noTime.erase("timestamp");
  api.put(kPodMetrics, noTime);
  source.pollOnce();
  const auto u = usages();
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].pod, "good");
  EXPECT_TRUE(source.status().available);
  EXPECT_EQ(source.status().lastSamples, 1u);
}

TEST_F(MetricsServerSourceTest, UnavailableSaysWhyAndRecovers) {
  api.put(kPodMetrics, podMetrics("shop", "web-1", "100Mi"));
  source.pollOnce();
  const double firstSuccess = source.status().lastSuccess;
  ASSERT_GT(firstSuccess, 0);

  clock.advance(std::chrono::seconds(15));
  api.fail("list", Error{"the server is currently unable to handle the request", 503}, 2);
  source.pollOnce();
  auto st = source.status();
  EXPECT_FALSE(st.available);
  EXPECT_TRUE(st.everPolled);
  EXPECT_NE(st.message.find("503"), std::string::npos) << st.message;
  EXPECT_NE(st.message.find("unable to handle the request"), std::string::npos) << st.message;
  EXPECT_DOUBLE_EQ(st.lastSuccess, firstSuccess);
  EXPECT_EQ(usages().size(), 1u);  // nothing new

  clock.advance(std::chrono::seconds(15));
  source.pollOnce();  // still down: when it last worked is kept
  st = source.status();
  EXPECT_FALSE(st.available);
  EXPECT_DOUBLE_EQ(st.lastSuccess, firstSuccess);

  clock.advance(std::chrono::seconds(15));
  source.pollOnce();  // back
  st = source.status();
  EXPECT_TRUE(st.available);
  EXPECT_EQ(st.message, "");
  EXPECT_DOUBLE_EQ(st.lastSuccess, toSeconds(clock.now()));
  EXPECT_EQ(usages().size(), 2u);
}

TEST_F(MetricsServerSourceTest, AMissingMetricsApiIsReportedToo) {
  api.fail("list", Error{"the server could not find the requested resource", 404});
  source.pollOnce();
  EXPECT_FALSE(source.status().available);
  EXPECT_NE(source.status().message.find("404"), std::string::npos);
  api.fail("list", Error{"connection refused", 0});
  source.pollOnce();
  EXPECT_NE(source.status().message.find("answered nothing"), std::string::npos)
      << source.status().message;
}

// Without metrics-server (agents only) the same failure would be logged at every poll, forever:
// it is logged when it is news, then every 10 minutes, and its end once.
TEST_F(MetricsServerSourceTest, AnUnavailableMetricsApiIsLoggedWhenNewsThenEveryTenMinutes) {
  std::ostringstream out;
  Logger::instance().setStream(&out);
  auto lines = [&out](const std::string& what) {
    const std::string text = out.str();
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1))
      ++n;
    return n;
  };
  auto pollAfter = [this](int seconds) {
    clock.advance(std::chrono::seconds(seconds));
    source.pollOnce();
  };
  api.fail("list", Error{"the server could not find the requested resource", 404}, 40);
  source.pollOnce();
  EXPECT_EQ(lines("metrics-server unavailable"), 1u);
  for (int i = 0; i < 38; ++i)  // 9.5 minutes of polls
    pollAfter(15);
  EXPECT_EQ(lines("metrics-server unavailable"), 1u);
  pollAfter(30);
  EXPECT_EQ(lines("metrics-server unavailable"), 2u);
  EXPECT_EQ(lines("\"unchangedPollsNotLogged\":38"), 1u) << out.str();
  api.fail("list", Error{"service unavailable", 503}, 1);  // another reason: news
  pollAfter(15);
  EXPECT_EQ(lines("metrics-server unavailable"), 3u);
  pollAfter(15);
  EXPECT_EQ(lines("metrics-server available again"), 1u);
  pollAfter(15);
  EXPECT_EQ(lines("metrics-server available again"), 1u);
  Logger::instance().setStream(nullptr);
}

TEST_F(MetricsServerSourceTest, ScopedToNamespacesListsEachOfThemOnly) {
  std::vector<UsageSample> scopedGot;
  MetricsServerSource scoped(api, clock, std::chrono::seconds(15), lookup,
                             [&](const UsageSample& u) { scopedGot.push_back(u); },
                             {"billing", "shop"});
  api.put(kPodMetrics, podMetrics("shop", "web-1", "100Mi"));
  api.put(kPodMetrics, podMetrics("billing", "api-1", "10Mi"));
  api.put(kPodMetrics, podMetrics("kube-system", "dns", "20Mi"));
  scoped.pollOnce();
  ASSERT_EQ(scopedGot.size(), 2u);
  for (const auto& u : scopedGot)
    EXPECT_NE(u.ns, "kube-system");
  EXPECT_EQ(scoped.status().lastSamples, 2u);
  EXPECT_TRUE(scoped.status().available);
  std::vector<std::string> paths;
  for (const auto& c : api.calls())
    paths.push_back(c.verb + " " + c.path);
  EXPECT_EQ(paths,
            (std::vector<std::string>{"list /apis/metrics.k8s.io/v1beta1/namespaces/billing/pods",
                                      "list /apis/metrics.k8s.io/v1beta1/namespaces/shop/pods"}));

  // One namespace refused (a Role missing there): unavailable, saying which namespace.
  api.fail("list", Error{"pods.metrics.k8s.io is forbidden", 403}, 1);
  scoped.pollOnce();
  EXPECT_FALSE(scoped.status().available);
  EXPECT_NE(scoped.status().message.find("403 for namespace billing"), std::string::npos)
      << scoped.status().message;
}

TEST_F(MetricsServerSourceTest, StartPollsAndStopReturns) {
  api.put(kPodMetrics, podMetrics("shop", "web-1", "100Mi"));
  ASSERT_TRUE(source.start().ok());
  ASSERT_TRUE(api.waitForCalls("list", 1));
  source.stop();
  EXPECT_GE(usages().size(), 1u);
}

}  // namespace
}  // namespace lg::sources
