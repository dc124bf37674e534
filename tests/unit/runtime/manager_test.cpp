// The Manager wiring informers, controllers, leader election and the health server, against the
// in-memory API and the fake clock.

#include "operator/runtime/manager.h"

#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <condition_variable>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include "operator/kube/rfc3339.h"
#include "tests/fakes/fake_api_client.h"
#include "tests/fakes/fake_clock.h"

namespace lg::runtime {
namespace {

using namespace std::chrono_literals;
using lg::testing::FakeApiClient;
using lg::testing::FakeClock;
using nlohmann::json;

struct Cm {
  std::string name;
};

std::optional<Cm> projectCm(const json& j) {
  return Cm{j["metadata"].value("name", "")};
}

json cm(const std::string& name) {
  return {{"metadata", {{"name", name}, {"namespace", "shop"}}}, {"data", {{"k", "v"}}}};
}

class RecordingReconciler final : public Reconciler {
 public:
  ReconcileResult reconcile(const std::string& key) override {
    {
      std::lock_guard g(mu_);
      keys_.insert(key);
    }
    cv_.notify_all();
    return ReconcileResult::done();
  }
  bool waitFor(const std::string& key) {
    std::unique_lock g(mu_);
    return cv_.wait_for(g, 10s, [&] { return keys_.contains(key); });
  }
  std::size_t count() {
    std::lock_guard g(mu_);
    return keys_.size();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::set<std::string> keys_;
};

// GET over a real socket; returns the status code.
int httpStatus(std::uint16_t port, const std::string& path) {
  namespace asio = boost::asio;
  asio::io_context ioc;
  asio::ip::tcp::socket s(ioc);
  s.connect({asio::ip::make_address("127.0.0.1"), port});
  const std::string req = "GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  asio::write(s, asio::buffer(req));
  std::string resp;
  boost::system::error_code ec;
  asio::read(s, asio::dynamic_buffer(resp), ec);
  return resp.size() > 12 ? std::stoi(resp.substr(9, 3)) : 0;
}

// A Runnable that writes "start <name>" and "stop <name>" into a shared log.
class LoggingRunnable final : public Runnable {
 public:
  LoggingRunnable(std::string name, bool leader, std::vector<std::string>& log, std::mutex& mu,
                  Status startResult = okStatus())
      : name_(std::move(name)),
        leader_(leader),
        log_(log),
        mu_(mu),
        start_(std::move(startResult)) {}
  // What the log's "stop" line adds, e.g. who holds the Lease at that moment.
  std::function<std::string()> atStop;
  std::string name() const override { return name_; }
  Status start() override {
    std::lock_guard g(mu_);
    log_.push_back("start " + name_);
    return start_;
  }
  void stop() override {
    const std::string extra = atStop ? " (" + atStop() + ")" : "";
    std::lock_guard g(mu_);
    log_.push_back("stop " + name_ + extra);
  }
  bool needsLeadership() const override { return leader_; }

 private:
  std::string name_;
  bool leader_;
  std::vector<std::string>& log_;
  std::mutex& mu_;
  Status start_;
};

class ManagerTest : public ::testing::Test {
 protected:
  ManagerOptions options() {
    ManagerOptions o;
    o.health.bindAddress = "127.0.0.1:0";
    o.cacheSyncTimeout = 60s;
    return o;
  }
  ReflectorOptions cmOptions() {
    ReflectorOptions r;
    r.resource = lg::testing::configMapsRef();
    r.backoff = BackoffOptions{.initial = 1s, .max = 1s, .factor = 2.0, .jitter = 0.0};
    return r;
  }
  // Someone else holds a fresh lease.
  void putForeignLease() {
    json lease = {{"metadata", {{"name", "lg"}, {"namespace", "leakguard-system"}}},
                  {"spec",
                   {{"holderIdentity", "other"},
                    {"leaseDurationSeconds", 15},
                    {"renewTime", kube::formatRfc3339Micro(clock_.now())}}}};
    api_.put(lg::testing::leasesRef("leakguard-system"), lease);
  }
  void wire(Manager& m) {
    auto& informer = m.addInformer<Cm>(cmOptions(), projectCm);
    ControllerOptions co;
    co.name = "cm";
    co.workers = 2;
    auto& controller = m.addController(reconciler_, co);
    informer.addEventHandler(enqueueOwnKey<Cm>(controller.queue()));
  }

  FakeApiClient api_;
  FakeClock clock_;
  RecordingReconciler reconciler_;
};

TEST_F(ManagerTest, RunsControllersOnceSyncedAndShutsDownOnRequest) {
  api_.put(lg::testing::configMapsRef(), cm("a"));
  Manager m(api_, clock_, options());
  wire(m);
  auto run = std::async(std::launch::async, [&] { return m.run(); });
  ASSERT_TRUE(reconciler_.waitFor("shop/a"));
  EXPECT_TRUE(m.leading());
  EXPECT_EQ(httpStatus(m.healthPort(), "/readyz"), 200);
  EXPECT_EQ(httpStatus(m.healthPort(), "/healthz"), 200);
  EXPECT_EQ(httpStatus(m.healthPort(), "/metrics"), 200);
  api_.put(lg::testing::configMapsRef(), cm("b"));
  ASSERT_TRUE(reconciler_.waitFor("shop/b"));
  m.requestShutdown();
  const Status s = run.get();
  EXPECT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(api_.openWatches(), 0u);
  const std::string metrics = m.metrics().render();
  EXPECT_NE(metrics.find("leakguard_reconcile_total{controller=\"cm\",result=\"success\"} 2"),
            std::string::npos)
      << metrics;
}

TEST_F(ManagerTest, ControllersWaitForTheCachesAndReadyzFollows) {
  api_.put(lg::testing::configMapsRef(), cm("a"));
  api_.fail("list", Error{"apiserver starting", 503}, 1);
  Manager m(api_, clock_, options());
  wire(m);
  auto run = std::async(std::launch::async, [&] { return m.run(); });
  // The reflector backs off (1 s) after the failed list; the manager waits for the sync.
  ASSERT_TRUE(clock_.blockUntilWaiterWithDeadline(clock_.steadyNow() + 1s));
  EXPECT_EQ(httpStatus(m.healthPort(), "/readyz"), 503);
  EXPECT_EQ(reconciler_.count(), 0u);
  clock_.advance(1s);
  ASSERT_TRUE(reconciler_.waitFor("shop/a"));
  EXPECT_EQ(httpStatus(m.healthPort(), "/readyz"), 200);
  m.requestShutdown();
  EXPECT_TRUE(run.get().ok());
}

TEST_F(ManagerTest, CacheSyncTimeoutFailsTheRun) {
  api_.fail("list", Error{"forbidden", 403}, 1000);
  ManagerOptions o = options();
  o.enableHealthServer = false;
  o.cacheSyncTimeout = 30s;
  Manager m(api_, clock_, o);
  wire(m);
  auto run = std::async(std::launch::async, [&] { return m.run(); });
  // Two waiters: the reflector's backoff and the manager's sync deadline.
  ASSERT_TRUE(clock_.blockUntilWaiterWithDeadline(clock_.steadyNow() + 30s));
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE(clock_.blockUntilWaiters(2));
    clock_.advance(1s);
  }
  const Status s = run.get();
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(reconciler_.count(), 0u);
}

TEST_F(ManagerTest, LeaderElectionGatesControllersAndReleasesOnShutdown) {
  api_.put(lg::testing::configMapsRef(), cm("a"));
  putForeignLease();
  ManagerOptions o = options();
  o.enableHealthServer = false;
  LeaderElectorOptions le;
  le.ns = "leakguard-system";
  le.name = "lg";
  le.identity = "me";
  o.leaderElection = le;
  Manager m(api_, clock_, o);
  wire(m);
  auto run = std::async(std::launch::async, [&] { return m.run(); });
  // Follower: caches warm, no reconciles.
  ASSERT_TRUE(clock_.blockUntilWaiterWithDeadline(clock_.steadyNow() + 2s));
  EXPECT_FALSE(m.leading());
  EXPECT_EQ(reconciler_.count(), 0u);
  // The other holder vanished; after the lease duration we take over.
  for (int i = 0; i < 8 && !m.leading(); ++i) {
    clock_.advance(2s);
    ASSERT_TRUE(clock_.blockUntilWaiterWithDeadline(clock_.steadyNow() + 2s));
  }
  ASSERT_TRUE(reconciler_.waitFor("shop/a"));
  EXPECT_TRUE(m.leading());
  m.requestShutdown();
  EXPECT_TRUE(run.get().ok());
  const auto after =
      api_.object(lg::testing::leasesRef("leakguard-system"), "leakguard-system", "lg");
  ASSERT_TRUE(after);
  EXPECT_EQ((*after)["spec"]["holderIdentity"], "");
  EXPECT_EQ(m.runtimeMetrics().leader.value(), 0);
}

TEST_F(ManagerTest, LostLeadershipEndsTheRunWithAnError) {
  api_.put(lg::testing::configMapsRef(), cm("a"));
  ManagerOptions o = options();
  o.enableHealthServer = false;
  LeaderElectorOptions le;
  le.ns = "leakguard-system";
  le.name = "lg";
  le.identity = "me";
  o.leaderElection = le;
  Manager m(api_, clock_, o);
  wire(m);
  auto run = std::async(std::launch::async, [&] { return m.run(); });
  ASSERT_TRUE(reconciler_.waitFor("shop/a"));
  // Another replica grabs the lease (say, after a partition): we must stop.
  json lease = *api_.object(lg::testing::leasesRef("leakguard-system"), "leakguard-system", "lg");
  lease["spec"]["holderIdentity"] = "usurper";
  lease["spec"]["renewTime"] = kube::formatRfc3339Micro(clock_.now());
  api_.put(lg::testing::leasesRef("leakguard-system"), lease);
  ASSERT_TRUE(clock_.blockUntilWaiterWithDeadline(clock_.steadyNow() + 2s));
  clock_.advance(2s);
  const Status s = run.get();
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("leadership"), std::string::npos);
}

TEST_F(ManagerTest, RunnablesStartWithTheirKindAndStopInReverse) {
  api_.put(lg::testing::configMapsRef(), cm("a"));
  putForeignLease();
  ManagerOptions o = options();
  o.enableHealthServer = false;
  o.leaderElection = LeaderElectorOptions{.ns = "leakguard-system", .name = "lg", .identity = "me"};
  Manager m(api_, clock_, o);
  wire(m);
  std::mutex mu;
  std::vector<std::string> log;
  const auto logged = [&] {
    std::lock_guard g(mu);
    return log;
  };
  LoggingRunnable source("source", false, log, mu), flusher("flusher", false, log, mu),
      leaderTask("leader-task", true, log, mu);
  leaderTask.atStop = [&] {
    auto lease = api_.object(lg::testing::leasesRef("leakguard-system"), "leakguard-system", "lg");
    return "lease held by " + (lease ? (*lease)["spec"].value("holderIdentity", "") : "?");
  };
  m.add(source);
  m.add(leaderTask);
  m.add(flusher);
  auto run = std::async(std::launch::async, [&] { return m.run(); });
  // A follower runs what every replica runs, not what needs leadership.
  ASSERT_TRUE(clock_.blockUntilWaiterWithDeadline(clock_.steadyNow() + 2s));
  EXPECT_EQ(logged(), (std::vector<std::string>{"start source", "start flusher"}));
  for (int i = 0; i < 8 && !m.leading(); ++i) {
    clock_.advance(2s);
    ASSERT_TRUE(clock_.blockUntilWaiterWithDeadline(clock_.steadyNow() + 2s));
  }
  ASSERT_TRUE(reconciler_.waitFor("shop/a"));
  for (int i = 0; i < 100 && logged().size() < 3; ++i)
    std::this_thread::sleep_for(10ms);
  EXPECT_EQ(logged(),
            (std::vector<std::string>{"start source", "start flusher", "start leader-task"}));
  m.requestShutdown();
  EXPECT_TRUE(run.get().ok());
  // The leader-only one before the Lease goes, the others last added first.
  EXPECT_EQ(logged(), (std::vector<std::string>{
                          "start source", "start flusher", "start leader-task",
                          "stop leader-task (lease held by me)", "stop flusher", "stop source"}));
  const auto lease =
      api_.object(lg::testing::leasesRef("leakguard-system"), "leakguard-system", "lg");
  ASSERT_TRUE(lease);
  EXPECT_EQ((*lease)["spec"]["holderIdentity"], "");  // released after the leader's runnables
}

TEST_F(ManagerTest, ARunnableThatCannotStartFailsTheRunAndTheStartedOnesStop) {
  Manager m(api_, clock_, options());
  wire(m);
  std::mutex mu;
  std::vector<std::string> log;
  LoggingRunnable first("first", false, log, mu),
      broken("broken", false, log, mu, makeError("no CA file"));
  m.add(first);
  m.add(broken);
  const Status s = m.run();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message, "cannot start the broken: no CA file");
  EXPECT_EQ(log, (std::vector<std::string>{"start first", "start broken", "stop first"}));
  EXPECT_EQ(api_.openWatches(), 0u);
}

TEST_F(ManagerTest, HealthServerBindFailureFailsTheRun) {
  ManagerOptions o = options();
  o.health.bindAddress = "not-an-address";
  Manager m(api_, clock_, o);
  wire(m);
  EXPECT_FALSE(m.run().ok());
}

}  // namespace
}  // namespace lg::runtime
