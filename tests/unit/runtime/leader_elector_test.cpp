#include "operator/runtime/leader_elector.h"

#include <gtest/gtest.h>

#include <atomic>

#include "operator/runtime/metrics_registry.h"
#include "operator/runtime/runtime_metrics.h"
#include "tests/fakes/fake_api_client.h"
#include "tests/fakes/fake_clock.h"

namespace lg::runtime {
namespace {

using namespace std::chrono_literals;
using lg::testing::FakeApiClient;
using lg::testing::FakeClock;
using nlohmann::json;

const kube::ResourceRef kLeases = lg::testing::leasesRef("leakguard-system");

class LeaderElectorTest : public ::testing::Test {
 protected:
  LeaderElectorOptions options(const std::string& id) {
    LeaderElectorOptions o;
    o.ns = "leakguard-system";
    o.name = "leakguard-controller";
    o.identity = id;
    o.metrics = &metrics_;
    o.onStartedLeading = [this] { ++started_; };
    o.onStoppedLeading = [this] { ++stopped_; };
    return o;
  }
  json lease() { return *api_.object(kLeases, "leakguard-system", "leakguard-controller"); }
  LeaseRecord record() { return LeaseRecord::fromLease(lease()); }
  void putLease(const std::string& holder, Clock::time_point renew, int duration = 15,
                int transitions = 3) {
    json l = {{"apiVersion", "coordination.k8s.io/v1"},
              {"kind", "Lease"},
              {"metadata", {{"name", "leakguard-controller"}, {"namespace", "leakguard-system"}}}};
    LeaseRecord r;
    r.holderIdentity = holder;
    r.leaseDurationSeconds = duration;
    r.acquireTime = renew;
    r.renewTime = renew;
    r.leaseTransitions = transitions;
    r.toLease(l);
    api_.put(kLeases, l);
  }
  // Waits until the elector thread sleeps for its next retry.
  void waitForRetrySleep(std::chrono::milliseconds retry = 2s) {
    ASSERT_TRUE(clock_.blockUntilWaiterWithDeadline(clock_.steadyNow() + retry));
  }

  FakeApiClient api_;
  FakeClock clock_;
  MetricsRegistry registry_;
  RuntimeMetrics metrics_{registry_};
  std::atomic<int> started_{0};
  std::atomic<int> stopped_{0};
};

TEST_F(LeaderElectorTest, AcquiresByCreatingTheLease) {
  LeaderElector e(api_, clock_, options("me"));
  ASSERT_TRUE(e.tryAcquireOrRenew());
  const LeaseRecord r = record();
  EXPECT_EQ(r.holderIdentity, "me");
  EXPECT_EQ(r.leaseDurationSeconds, 15);
  EXPECT_EQ(r.leaseTransitions, 0);
  EXPECT_EQ(r.renewTime, clock_.now());
  EXPECT_EQ(r.acquireTime, clock_.now());
  EXPECT_EQ(lease()["spec"]["renewTime"], "2026-01-01T00:00:00.000000Z");
  EXPECT_EQ(e.leader(), "me");
}

TEST_F(LeaderElectorTest, RenewKeepsAcquireTimeAndMovesRenewTime) {
  LeaderElector e(api_, clock_, options("me"));
  ASSERT_TRUE(e.tryAcquireOrRenew());
  const auto acquired = clock_.now();
  clock_.advance(2s);
  ASSERT_TRUE(e.tryAcquireOrRenew());
  const LeaseRecord r = record();
  EXPECT_EQ(r.acquireTime, acquired);
  EXPECT_EQ(r.renewTime, acquired + 2s);
  EXPECT_EQ(r.leaseTransitions, 0);
  // Optimistic concurrency: the PUT carried the resourceVersion it read.
  const auto calls = api_.calls();
  const auto& put = calls.back();
  EXPECT_EQ(put.verb, "replace");
  EXPECT_FALSE(put.body["metadata"]["resourceVersion"].get<std::string>().empty());
}

TEST_F(LeaderElectorTest, DoesNotTakeOverAValidLease) {
  putLease("other", clock_.now());
  LeaderElector e(api_, clock_, options("me"));
  EXPECT_FALSE(e.tryAcquireOrRenew());
  EXPECT_EQ(e.leader(), "other");
  clock_.advance(14s);
  EXPECT_FALSE(e.tryAcquireOrRenew());
  EXPECT_EQ(record().holderIdentity, "other");
}

TEST_F(LeaderElectorTest, TakesOverAnExpiredLease) {
  putLease("other", clock_.now() - 16s);
  LeaderElector e(api_, clock_, options("me"));
  ASSERT_TRUE(e.tryAcquireOrRenew());
  const LeaseRecord r = record();
  EXPECT_EQ(r.holderIdentity, "me");
  EXPECT_EQ(r.leaseTransitions, 4);
  EXPECT_EQ(r.acquireTime, clock_.now());
}

TEST_F(LeaderElectorTest, TakesOverWhenTheRecordStaysUnchangedForALeaseDuration) {
  // The holder's clock ran ahead: its renewTime is in our future, so the wall-clock rule never
  // fires; the record not changing for a lease duration frees it anyway.
  putLease("other", clock_.now() + 1h);
  LeaderElector e(api_, clock_, options("me"));
  EXPECT_FALSE(e.tryAcquireOrRenew());
  clock_.advance(10s);
  EXPECT_FALSE(e.tryAcquireOrRenew());
  clock_.advance(5s);
  EXPECT_TRUE(e.tryAcquireOrRenew());
}

TEST_F(LeaderElectorTest, ARenewedRecordRestartsTheObservedExpiry) {
  putLease("other", clock_.now() + 1h);
  LeaderElector e(api_, clock_, options("me"));
  EXPECT_FALSE(e.tryAcquireOrRenew());
  clock_.advance(10s);
  putLease("other", clock_.now() + 1h + 10s);  // the holder renewed
  EXPECT_FALSE(e.tryAcquireOrRenew());
  clock_.advance(10s);
  EXPECT_FALSE(e.tryAcquireOrRenew());
  clock_.advance(5s);
  EXPECT_TRUE(e.tryAcquireOrRenew());
}

TEST_F(LeaderElectorTest, AReleasedLeaseIsTakenAtOnce) {
  putLease("", clock_.now(), 1);
  LeaderElector e(api_, clock_, options("me"));
  EXPECT_TRUE(e.tryAcquireOrRenew());
}

TEST_F(LeaderElectorTest, ConflictRereadsAndRetriesOnce) {
  LeaderElector e(api_, clock_, options("me"));
  ASSERT_TRUE(e.tryAcquireOrRenew());
  const auto getsBefore = api_.callCount("get");
  api_.fail("replace", Error{"the object has been modified", 409}, 1);
  EXPECT_TRUE(e.tryAcquireOrRenew());
  EXPECT_EQ(api_.callCount("get") - getsBefore, 2u);
  // Two conflicts in a row: this round fails, the next one will read again.
  api_.fail("replace", Error{"the object has been modified", 409}, 2);
  EXPECT_FALSE(e.tryAcquireOrRenew());
  EXPECT_TRUE(e.tryAcquireOrRenew());
}

TEST_F(LeaderElectorTest, RealConflictFromAStaleResourceVersion) {
  LeaderElector a(api_, clock_, options("a"));
  ASSERT_TRUE(a.tryAcquireOrRenew());
  // Someone else writes between our GET and PUT: the fake returns 409 from the stale RV.
  bool once = true;
  api_.setHook("replace", [&](const FakeApiClient::Call&) {
    if (!once) return;
    once = false;
    putLease("a", clock_.now());  // bumps the resourceVersion
  });
  EXPECT_TRUE(a.tryAcquireOrRenew());
  EXPECT_EQ(api_.callCount("replace"), 2u);
}

TEST_F(LeaderElectorTest, CreateRaceRereads) {
  LeaderElector e(api_, clock_, options("me"));
  api_.setHook("create", [&](const FakeApiClient::Call&) { putLease("other", clock_.now()); });
  EXPECT_FALSE(e.tryAcquireOrRenew());
  EXPECT_EQ(e.leader(), "other");
}

TEST_F(LeaderElectorTest, ReleaseClearsTheHolder) {
  LeaderElector e(api_, clock_, options("me"));
  ASSERT_TRUE(e.tryAcquireOrRenew());
  ASSERT_TRUE(e.release());
  const LeaseRecord r = record();
  EXPECT_EQ(r.holderIdentity, "");
  EXPECT_EQ(r.leaseDurationSeconds, 1);
  EXPECT_EQ(r.leaseTransitions, 0);
  // Releasing someone else's lease does nothing.
  putLease("other", clock_.now());
  EXPECT_FALSE(e.release());
  EXPECT_EQ(record().holderIdentity, "other");
}

TEST_F(LeaderElectorTest, RunLeadsRenewsAndReleasesOnStop) {
  LeaderElector e(api_, clock_, options("me"));
  e.start();
  waitForRetrySleep();
  EXPECT_TRUE(e.isLeader());
  EXPECT_EQ(started_.load(), 1);
  EXPECT_EQ(metrics_.leader.value(), 1);
  for (int i = 1; i <= 3; ++i) {
    clock_.advance(2s);
    waitForRetrySleep();
    EXPECT_EQ(record().renewTime, clock_.now());
  }
  e.stop();
  EXPECT_FALSE(e.isLeader());
  EXPECT_EQ(stopped_.load(), 1);
  EXPECT_EQ(metrics_.leader.value(), 0);
  EXPECT_EQ(record().holderIdentity, "");
}

TEST_F(LeaderElectorTest, LosesLeadershipWhenRenewsFailPastTheDeadline) {
  LeaderElector e(api_, clock_, options("me"));
  e.start();
  waitForRetrySleep();
  ASSERT_TRUE(e.isLeader());
  api_.fail("get", Error{"apiserver unreachable", 0}, 1000);
  // Renews at +2, +4, +6, +8 fail but are within the 10 s deadline.
  for (int i = 0; i < 4; ++i) {
    clock_.advance(2s);
    waitForRetrySleep();
    EXPECT_TRUE(e.isLeader()) << i;
  }
  clock_.advance(2s);   // +10: deadline reached
  waitForRetrySleep();  // back to candidate, retrying
  EXPECT_FALSE(e.isLeader());
  EXPECT_EQ(stopped_.load(), 1);
  EXPECT_EQ(metrics_.leader.value(), 0);
  e.stop();
  EXPECT_EQ(stopped_.load(), 1);  // not twice
}

TEST_F(LeaderElectorTest, LosesLeadershipAtOnceWhenAnotherHolderAppears) {
  LeaderElector e(api_, clock_, options("me"));
  e.start();
  waitForRetrySleep();
  ASSERT_TRUE(e.isLeader());
  putLease("usurper", clock_.now());
  clock_.advance(2s);
  waitForRetrySleep();
  EXPECT_FALSE(e.isLeader());
  EXPECT_EQ(stopped_.load(), 1);
  e.stop();
  EXPECT_EQ(record().holderIdentity, "usurper");  // not released: not ours
}

TEST_F(LeaderElectorTest, TwoElectorsOnlyOneLeadsAndTheOtherTakesOverAfterExpiry) {
  auto oa = options("a");
  oa.releaseOnStop = false;  // a crash: no release
  LeaderElector a(api_, clock_, oa);
  LeaderElector b(api_, clock_, options("b"));
  a.start();
  waitForRetrySleep();
  b.start();
  ASSERT_TRUE(clock_.blockUntilWaiters(2));
  EXPECT_TRUE(a.isLeader());
  EXPECT_FALSE(b.isLeader());
  a.stop();
  EXPECT_EQ(record().holderIdentity, "a");
  // b keeps trying every 2 s; the lease (15 s) expires, b takes over.
  int waited = 0;
  while (!b.isLeader() && waited < 20) {
    ASSERT_TRUE(clock_.blockUntilWaiters(1));
    clock_.advance(2s);
    waited += 2;
    ASSERT_TRUE(clock_.blockUntilWaiters(1));
  }
  EXPECT_TRUE(b.isLeader());
  EXPECT_GE(waited, 14);
  EXPECT_LE(waited, 18);
  EXPECT_EQ(record().holderIdentity, "b");
  EXPECT_EQ(record().leaseTransitions, 1);
  b.stop();
}

TEST(LeaseTimeTest, IdentityHasPodNameAndRandomSuffix) {
  const std::string a = makeLeaderIdentity("leakguard-7d9f-x2k4p");
  const std::string b = makeLeaderIdentity("leakguard-7d9f-x2k4p");
  EXPECT_EQ(a.rfind("leakguard-7d9f-x2k4p_", 0), 0u);
  EXPECT_EQ(a.size(), std::string("leakguard-7d9f-x2k4p_").size() + 8);
  EXPECT_NE(a, b);
  EXPECT_FALSE(makeLeaderIdentity().empty());
}

}  // namespace
}  // namespace lg::runtime
