// The Manager end to end on the real API server: informer, controller, leader election and the
// health server.

#include <gtest/gtest.h>

#include <boost/asio.hpp>
#include <future>
#include <set>

#include "operator/runtime/manager.h"
#include "tests/integration/runtime/runtime_cluster_fixture.h"

namespace lg::runtime::integration {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

struct Cm {
  std::string name;
};

class Recording final : public Reconciler {
 public:
  ReconcileResult reconcile(const std::string& key) override {
    std::lock_guard g(mu);
    keys.insert(key);
    return ReconcileResult::done();
  }
  bool seen(const std::string& key) {
    std::lock_guard g(mu);
    return keys.contains(key);
  }
  std::mutex mu;
  std::set<std::string> keys;
};

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

using ManagerIntegrationTest = RuntimeClusterTest;

TEST_F(ManagerIntegrationTest, LeadsReconcilesServesAndReleasesOnShutdown) {
  ManagerOptions mo;
  mo.health.bindAddress = "127.0.0.1:0";
  LeaderElectorOptions le;
  le.ns = ns;
  le.name = "leakguard-manager-it";
  le.identity = makeLeaderIdentity("manager-it");
  le.leaseDuration = 3s;
  le.renewDeadline = 2s;
  le.retryPeriod = 500ms;
  mo.leaderElection = le;
  Manager m(*api, SystemClock::instance(), mo);
  ReflectorOptions ro;
  ro.resource = coreRef("configmaps", ns);
  auto& informer = m.addInformer<Cm>(
      ro, [](const json& j) { return std::optional<Cm>(Cm{j["metadata"].value("name", "")}); });
  Recording reconciler;
  ControllerOptions co;
  co.name = "configmaps";
  auto& controller = m.addController(reconciler, co);
  informer.addEventHandler(enqueueOwnKey<Cm>(controller.queue()));

  auto run = std::async(std::launch::async, [&] { return m.run(); });
  ASSERT_TRUE(eventually([&] { return m.healthPort() != 0; }));
  ASSERT_TRUE(eventually([&] { return httpStatus(m.healthPort(), "/readyz") == 200; }));
  ASSERT_TRUE(api->create(coreRef("configmaps", ns),
                          {{"metadata", {{"name", "hello"}}}, {"data", {{"a", "b"}}}})
                  .ok());
  ASSERT_TRUE(eventually([&] { return reconciler.seen(ns + "/hello"); }));
  // Every namespace gets kube-root-ca.crt from kube-controller-manager, some time after the
  // namespace: listed or watched, it is reconciled too.
  EXPECT_TRUE(eventually([&] { return reconciler.seen(ns + "/kube-root-ca.crt"); }));
  EXPECT_TRUE(m.leading());
  EXPECT_EQ(httpStatus(m.healthPort(), "/healthz"), 200);
  EXPECT_EQ(httpStatus(m.healthPort(), "/metrics"), 200);
  m.requestShutdown();
  const Status s = run.get();
  EXPECT_TRUE(s.ok()) << s.error().message;
  kube::ResourceRef lease;
  lease.group = "coordination.k8s.io";
  lease.version = "v1";
  lease.resource = "leases";
  lease.ns = ns;
  lease.name = "leakguard-manager-it";
  auto got = api->get(lease);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ((*got)["spec"].value("holderIdentity", "x"), "");
}

}  // namespace
}  // namespace lg::runtime::integration
