#pragma once
// Fixture of the runtime integration tests: the real HttpApiClient on the admin kubeconfig
// named by $LG_KUBECONFIG (CTest sets it for tests labelled integration) and a fresh namespace
// per test, deleted afterwards. Without LG_KUBECONFIG the tests skip, saying why.

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "operator/kube/http_api_client.h"
#include "operator/kube/kubeconfig.h"

namespace lg::runtime::integration {

inline kube::ResourceRef coreRef(std::string resource, std::string ns = "", std::string name = "") {
  kube::ResourceRef r;
  r.version = "v1";
  r.resource = std::move(resource);
  r.ns = std::move(ns);
  r.name = std::move(name);
  return r;
}

// Polls `pred` every 20 ms of real time until it holds or `timeout` passes.
inline bool eventually(const std::function<bool()>& pred,
                       std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return pred();
}

class RuntimeClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* path = std::getenv("LG_KUBECONFIG");
    if (!path || !*path) {
      GTEST_SKIP() << "LG_KUBECONFIG is not set: these tests need the local cluster "
                      "(export LG_KUBECONFIG=$(e2e/cluster/kubeconfig))";
    }
    auto cfg = kube::loadKubeconfig(path);
    ASSERT_TRUE(cfg.ok()) << cfg.error().message;
    kube::HttpApiClientOptions o;
    o.timeout = std::chrono::seconds(20);
    auto client = kube::HttpApiClient::create(*cfg, o);
    ASSERT_TRUE(client.ok()) << client.error().message;
    api = std::move(client).value();
    std::random_device rd;
    char suffix[16];
    std::snprintf(suffix, sizeof suffix, "%06x", rd() & 0xffffff);
    ns = std::string("lg-rt-it-") + suffix;
    auto created =
        api->create(coreRef("namespaces"),
                    {{"apiVersion", "v1"},
                     {"kind", "Namespace"},
                     {"metadata", {{"name", ns}, {"labels", {{"lg-test", "runtime"}}}}}});
    ASSERT_TRUE(created.ok()) << created.error().message;
  }

  void TearDown() override {
    if (api && !ns.empty()) {
      kube::DeleteOptions d;
      d.propagationPolicy = "Background";
      auto s = api->remove(coreRef("namespaces", "", ns), d);
      EXPECT_TRUE(s.ok() || s.error().code == 404) << s.error().message;
    }
  }

  std::unique_ptr<kube::HttpApiClient> api;
  std::string ns;
};

}  // namespace lg::runtime::integration
