#include "controllers/reconcile/sizing_advisor.h"

#include <gtest/gtest.h>

#include <cmath>

namespace lg::reconcile {
namespace {

constexpr double kMi = 1 << 20;
constexpr double kNow = 1.8e9;

// A pod of Deployment `deploy` (through ReplicaSet <deploy>-7d9f), one container "app" with a
// 64Mi request and a 256Mi limit.
runtime::PodProjection pod(const std::string& name, const std::string& uid,
                           const std::string& deploy) {
  auto p = runtime::projectPod(nlohmann::json::parse(
      R"({"metadata": {"name": ")" + name + R"(", "namespace": "demo", "uid": ")" + uid +
      R"(", "ownerReferences": [{"kind": "ReplicaSet", "name": ")" + deploy +
      R"(-7d9f", "uid": "rs", "controller": true}]},
      "spec": {"nodeName": "n1", "containers": [{"name": "app", "resources":
        {"requests": {"memory": "64Mi"}, "limits": {"memory": "256Mi"}}}]},
      "status": {"phase": "Running", "containerStatuses": [{"name": "app",
        "containerID": "containerd://)" +
      uid + R"("}]}})"));
  return *p;
}

ReplicaSetLookup deployments() {
  return [](const std::string& ns, const std::string& name) -> std::optional<ReplicaSetObject> {
    return ReplicaSetObject{.ns = ns,
                            .name = name,
                            .uid = "rs",
                            .ownerKind = "Deployment",
                            .ownerName = name.substr(0, name.rfind('-'))};
  };
}

class SizingAdvisorTest : public ::testing::Test {
 protected:
  // Two hours of samples every 15 s ending at kNow, of f(seconds since the start).
  void feed(const std::string& uid, const std::string& podName,
            const std::function<double(double)>& f) {
    for (double t = 0; t <= 7200; t += 15)
      hub_.ingest({.podUid = uid,
                   .ns = "demo",
                   .pod = podName,
                   .container = "app",
                   .containerId = "containerd://" + uid,
                   .time = kNow - 7200 + t,
                   .resource = detect::Resource::kMemory,
                   .value = f(t),
                   .limit = 256 * kMi,
                   .source = Source::kAgent});
  }
  UsageHub hub_{{.findingTtlSeconds = 1e9}};
};

TEST_F(SizingAdvisorTest, SizesSteadyAndWarmUpWorkloadsAndStatesWhatARaiseBuysALeak) {
  const auto catalog = pod("catalog-1", "u-cat", "catalog");
  const auto steady1 = pod("search-1", "u-s1", "search");
  const auto steady2 = pod("search-2", "u-s2", "search");
  const auto checkout = pod("checkout-1", "u-co", "checkout");
  feed("u-cat", "catalog-1",
       [](double t) { return 40 * kMi + 60 * kMi * (1 - std::exp(-t / 600)); });
  feed("u-s1", "search-1", [](double t) { return 50 * kMi + kMi * std::sin(t / 60); });
  feed("u-s2", "search-2", [](double t) { return 52 * kMi + kMi * std::sin(t / 90); });
  // 30Mi growing 1Mi a minute: the detector confirms it within the two hours.
  feed("u-co", "checkout-1", [](double t) { return 30 * kMi + kMi * t / 60; });
  ASSERT_TRUE(hub_.view({"u-co", "app", detect::Resource::kMemory})->finding.has_value());

  const detect::SizingOptions opts{.minHistorySeconds = 3600};
  const auto advice =
      adviseSizing({&checkout, &steady1, &catalog, &steady2}, deployments(), hub_, {}, opts, kNow);
  ASSERT_EQ(advice.size(), 3u);  // by workload: catalog, checkout, search
  const auto& cat = advice[0];
  EXPECT_EQ(cat.workload, "Deployment/catalog");
  EXPECT_EQ(cat.container, "app");
  EXPECT_EQ(cat.currentRequestBytes, 64 * kMi);
  EXPECT_EQ(cat.currentLimitBytes, 256 * kMi);
  ASSERT_TRUE(cat.recommendation.ok);
  EXPECT_EQ(cat.recommendation.shape, detect::UsageShape::kWarmup);
  EXPECT_NEAR(cat.recommendation.requestBytes, 100 * kMi * 1.15, 2 * kMi);

  const auto& co = advice[1];
  EXPECT_EQ(co.workload, "Deployment/checkout");
  ASSERT_TRUE(co.leaking);
  EXPECT_FALSE(co.recommendation.ok);
  EXPECT_EQ(co.raise.raiseBytes, 128 * kMi);
  EXPECT_NEAR(co.raise.delaySeconds, 128 * 60, 128 * 60 * 0.25);  // ~1Mi/min

  const auto& se = advice[2];
  EXPECT_EQ(se.workload, "Deployment/search");
  EXPECT_EQ(se.pods, 2);
  ASSERT_TRUE(se.recommendation.ok);
  EXPECT_EQ(se.recommendation.seriesUsed, 2);
  EXPECT_EQ(se.recommendation.shape, detect::UsageShape::kSteady);
  EXPECT_GE(se.recommendation.limitBytes, 53 * kMi * 1.15);
  EXPECT_LE(se.recommendation.limitBytes, 53 * kMi * 1.15 + kMi);

  const auto status = sizingStatus(advice, opts, 100);
  ASSERT_EQ(status.size(), 3u);
  // The leak first, with no size but what a raise buys.
  EXPECT_EQ(status[0]["workload"], "Deployment/checkout");
  EXPECT_EQ(status[0]["shape"], "leaking");
  EXPECT_FALSE(status[0].contains("request"));
  EXPECT_FALSE(status[0].contains("limit"));
  EXPECT_EQ(status[0]["leak"]["raise"], "+128Mi");
  EXPECT_NE(status[0]["basis"].get<std::string>().find(
                "a bigger limit only postpones the OOM kill (+128Mi delays it by "),
            std::string::npos)
      << status[0]["basis"];
  EXPECT_EQ(status[1]["workload"], "Deployment/catalog");
  EXPECT_EQ(status[1]["shape"], "warm-up");
  EXPECT_EQ(status[1]["current"]["request"], "64Mi");
  EXPECT_EQ(status[1]["current"]["limit"], "256Mi");
  const std::string basis = status[1]["basis"];
  EXPECT_NE(basis.find("p90 "), std::string::npos) << basis;
  EXPECT_NE(basis.find("of the plateau after its warm-up over 2h (1 pod), +15% headroom"),
            std::string::npos)
      << basis;
  EXPECT_EQ(status[2]["shape"], "steady");
  EXPECT_EQ(status[2]["pods"], 2);

  EXPECT_EQ(sizingStatus(advice, opts, 1).size(), 1u);
}

TEST_F(SizingAdvisorTest, SaysWhyThereIsNoSizeYet) {
  const auto young = pod("young-1", "u-y", "young");
  const auto unseen = pod("unseen-1", "u-u", "unseen");
  for (double t = 0; t <= 600; t += 15)
    hub_.ingest({.podUid = "u-y",
                 .ns = "demo",
                 .pod = "young-1",
                 .container = "app",
                 .time = kNow - 600 + t,
                 .value = 50 * kMi,
                 .limit = 256 * kMi});
  const detect::SizingOptions opts{.minHistorySeconds = 3600};
  const auto status =
      sizingStatus(adviseSizing({&young, &unseen}, deployments(), hub_, {}, opts, kNow), opts, 100);
  ASSERT_EQ(status.size(), 2u);
  EXPECT_EQ(status[0]["workload"], "Deployment/unseen");
  EXPECT_EQ(status[0]["shape"], "too-short");
  EXPECT_EQ(status[0]["basis"], "no usage observed yet");
  EXPECT_EQ(status[1]["shape"], "too-short");
  EXPECT_EQ(status[1]["basis"],
            "only 10m of usage observed; sizing needs 1h (spec.recommendations.minHistory)");
}

// After an OOM kill the restarted container has no finding yet, and its usage before the
// restart ran up to the limit: the open incident still says it leaks, and the peak the old
// container reached is never its size.
TEST_F(SizingAdvisorTest, ARestartedLeakIsStillALeakAndNotSizedFromItsPeak) {
  const auto p = pod("checkout-1", "u-co", "checkout");
  const double restart = kNow - 600;
  for (double t = kNow - 7200; t <= kNow; t += 15) {
    const bool before = t < restart;
    hub_.ingest({.podUid = "u-co",
                 .ns = "demo",
                 .pod = "checkout-1",
                 .container = "app",
                 .containerId = before ? "containerd://old" : "containerd://new",
                 .time = t,
                 .value = before ? 250 * kMi : 41 * kMi,
                 .limit = 256 * kMi});
  }
  const detect::SizingOptions opts{.minHistorySeconds = 300};
  // Without a known leak: sized from the new container's 10 minutes at 41Mi, not from 250Mi.
  auto advice = adviseSizing({&p}, deployments(), hub_, {}, opts, kNow);
  ASSERT_EQ(advice.size(), 1u);
  ASSERT_TRUE(advice[0].recommendation.ok);
  EXPECT_EQ(advice[0].recommendation.limitBytes, 48 * kMi);  // 41Mi + 15% = 47.15Mi
  EXPECT_NEAR(advice[0].recommendation.observedSeconds, 600, 15);
  // With the open incident's leak: no size, the statement at the incident's rate.
  advice = adviseSizing({&p}, deployments(), hub_, {{{"Deployment/checkout", "app"}, 8 * kMi / 60}},
                        opts, kNow);
  ASSERT_TRUE(advice[0].leaking);
  EXPECT_EQ(advice[0].raise.raiseBytes, 128 * kMi);
  EXPECT_NEAR(advice[0].raise.delaySeconds, 960, 1);
  const auto status = sizingStatus(advice, opts, 100);
  EXPECT_EQ(status[0]["leak"]["delay"], "16m");
}

TEST(SizingOptions, FromThePolicy) {
  const auto o =
      sizingOptions({.requestQuantile = 95, .headroomPercent = 20, .minHistorySeconds = 300});
  EXPECT_DOUBLE_EQ(o.requestQuantile, 0.95);
  EXPECT_DOUBLE_EQ(o.headroom, 0.20);
  EXPECT_EQ(o.minHistorySeconds, 300);
}

}  // namespace
}  // namespace lg::reconcile
