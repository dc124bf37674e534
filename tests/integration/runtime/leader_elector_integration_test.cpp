// Leader election against the real coordination.k8s.io/v1 Lease API.

#include <gtest/gtest.h>

#include <atomic>

#include "operator/runtime/leader_elector.h"
#include "tests/integration/runtime/runtime_cluster_fixture.h"

namespace lg::runtime::integration {
namespace {

using namespace std::chrono_literals;

class LeaderElectorIntegrationTest : public RuntimeClusterTest {
 protected:
  LeaderElectorOptions options(const std::string& id) {
    LeaderElectorOptions o;
    o.ns = ns;
    o.name = "leakguard-it";
    o.identity = id;
    o.leaseDuration = 3s;
    o.renewDeadline = 2s;
    o.retryPeriod = 500ms;
    return o;
  }
  std::optional<LeaseRecord> lease() {
    kube::ResourceRef r;
    r.group = "coordination.k8s.io";
    r.version = "v1";
    r.resource = "leases";
    r.ns = ns;
    r.name = "leakguard-it";
    auto got = api->get(r);
    if (!got.ok()) return std::nullopt;
    return LeaseRecord::fromLease(*got);
  }
};

TEST_F(LeaderElectorIntegrationTest, OnlyOneOfTwoLeads) {
  std::atomic<int> leaders{0};
  std::atomic<int> maxLeaders{0};
  auto track = [&](LeaderElectorOptions o) {
    o.onStartedLeading = [&] {
      const int n = ++leaders;
      int m = maxLeaders.load();
      while (n > m && !maxLeaders.compare_exchange_weak(m, n)) {
      }
    };
    o.onStoppedLeading = [&] { --leaders; };
    return o;
  };
  LeaderElector a(*api, SystemClock::instance(), track(options(makeLeaderIdentity("pod-a"))));
  LeaderElector b(*api, SystemClock::instance(), track(options(makeLeaderIdentity("pod-b"))));
  a.start();
  b.start();
  ASSERT_TRUE(eventually([&] { return a.isLeader() || b.isLeader(); }));
  // Several lease durations: the leader keeps renewing, the other never leads meanwhile.
  const bool aLeads = a.isLeader();
  for (int i = 0; i < 40; ++i) {
    EXPECT_NE(a.isLeader(), b.isLeader());
    std::this_thread::sleep_for(200ms);
  }
  EXPECT_EQ(a.isLeader(), aLeads);
  EXPECT_EQ(maxLeaders.load(), 1);
  const auto rec = lease();
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->holderIdentity, aLeads ? a.identity() : b.identity());
  EXPECT_EQ(rec->leaseDurationSeconds, 3);
  ASSERT_TRUE(rec->renewTime);
  // The server kept our MicroTime; renewals are recent.
  EXPECT_LT(SystemClock::instance().now() - *rec->renewTime, 2s);
  a.stop();
  b.stop();
}

TEST_F(LeaderElectorIntegrationTest, TheOtherTakesOverWithinTheLeaseDurationAfterACrash) {
  auto oa = options(makeLeaderIdentity("pod-a"));
  oa.releaseOnStop = false;  // as if the process died
  LeaderElector a(*api, SystemClock::instance(), oa);
  a.start();
  ASSERT_TRUE(eventually([&] { return a.isLeader(); }));
  LeaderElector b(*api, SystemClock::instance(), options(makeLeaderIdentity("pod-b")));
  b.start();
  std::this_thread::sleep_for(1500ms);
  ASSERT_FALSE(b.isLeader());
  const auto stoppedAt = std::chrono::steady_clock::now();
  a.stop();
  ASSERT_EQ(lease()->holderIdentity, a.identity());  // not released
  ASSERT_TRUE(eventually([&] { return b.isLeader(); }, 10s));
  const auto tookOver = std::chrono::steady_clock::now() - stoppedAt;
  // The lease expires 3 s after a's last renew (at most one retry period before the stop);
  // b notices within one retry period of that.
  EXPECT_LE(tookOver, 3s + 500ms + 300ms)
      << std::chrono::duration_cast<std::chrono::milliseconds>(tookOver).count() << " ms";
  const auto rec = lease();
  EXPECT_EQ(rec->holderIdentity, b.identity());
  EXPECT_EQ(rec->leaseTransitions, 1);
  b.stop();
}

TEST_F(LeaderElectorIntegrationTest, ReleaseOnStopHandsOverAtOnce) {
  LeaderElector a(*api, SystemClock::instance(), options(makeLeaderIdentity("pod-a")));
  a.start();
  ASSERT_TRUE(eventually([&] { return a.isLeader(); }));
  LeaderElector b(*api, SystemClock::instance(), options(makeLeaderIdentity("pod-b")));
  b.start();
  std::this_thread::sleep_for(700ms);
  const auto stoppedAt = std::chrono::steady_clock::now();
  a.stop();
  EXPECT_EQ(lease()->holderIdentity, b.isLeader() ? b.identity() : "");
  ASSERT_TRUE(eventually([&] { return b.isLeader(); }, 10s));
  // No waiting for expiry: within about one retry period.
  EXPECT_LT(std::chrono::steady_clock::now() - stoppedAt, 1500ms);
  b.stop();
  EXPECT_EQ(lease()->holderIdentity, "");
}

}  // namespace
}  // namespace lg::runtime::integration
