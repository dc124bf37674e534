#pragma once
// The fixture of the kube integration tests: an HttpApiClient on the admin kubeconfig named by
// $LG_KUBECONFIG (set by CTest for tests that need the local cluster of e2e/cluster) and a
// fresh namespace per test, deleted afterwards. Without LG_KUBECONFIG the tests are skipped
// with a message saying so; with it, any failure to reach the cluster fails them.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <thread>

#include "operator/kube/http_api_client.h"
#include "operator/kube/kubeconfig.h"

namespace lg::kube::integration {

inline ResourceRef core(std::string resource, std::string ns = "", std::string name = "",
                        std::string subresource = "") {
  return ResourceRef{.group = "",
                     .version = "v1",
                     .resource = std::move(resource),
                     .ns = std::move(ns),
                     .name = std::move(name),
                     .subresource = std::move(subresource)};
}

inline std::string randomSuffix() {
  std::random_device rd;
  char buf[16];
  std::snprintf(buf, sizeof buf, "%06x", rd() & 0xffffff);
  return buf;
}

// Polls pred every 200 ms until it holds or `timeout` passes; returns whether it held.
inline bool eventually(const std::function<bool()>& pred,
                       std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return pred();
}

class ClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* path = std::getenv("LG_KUBECONFIG");
    if (!path || !*path) {
      GTEST_SKIP() << "LG_KUBECONFIG is not set: these tests need the local cluster "
                      "(export LG_KUBECONFIG=$(e2e/cluster/kubeconfig))";
    }
    kubeconfigPath = path;
    auto cfg = loadKubeconfig(kubeconfigPath);
    ASSERT_TRUE(cfg.ok()) << cfg.error().message;
    config = *cfg;
    auto client = HttpApiClient::create(config, clientOptions());
    ASSERT_TRUE(client.ok()) << client.error().message;
    api = std::move(client).value();
    ns = "lg-kube-it-" + randomSuffix();
    auto created = api->create(core("namespaces"),
                               {{"apiVersion", "v1"},
                                {"kind", "Namespace"},
                                {"metadata", {{"name", ns}, {"labels", {{"lg-test", "kube"}}}}}});
    ASSERT_TRUE(created.ok()) << created.error().message;
  }

  void TearDown() override {
    if (api && !ns.empty()) {
      DeleteOptions d;
      d.propagationPolicy = "Background";
      auto s = api->remove(core("namespaces", "", ns), d);
      EXPECT_TRUE(s.ok() || s.error().code == 404) << s.error().message;
    }
  }

  virtual HttpApiClientOptions clientOptions() {
    HttpApiClientOptions o;
    o.timeout = std::chrono::seconds(20);
    return o;
  }

  // Pods can be created only once the controller manager made the namespace's default
  // ServiceAccount.
  // The test images (localhost/lg-test:1, localhost/leaky:1) in the node's containerd: built
  // from source and imported when missing (a down/up cycle wipes them).
  void ensureTestImages() {
    const std::string cmd = std::string(LG_SOURCE_DIR) + "/e2e/workloads/build-images >&2";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << "e2e/workloads/build-images failed";
  }

  void waitForDefaultServiceAccount() {
    ASSERT_TRUE(eventually([&] { return api->get(core("serviceaccounts", ns, "default")).ok(); }))
        << "no default ServiceAccount in " << ns;
  }

  // A pod that no node can take: it stays Pending, and costs the node nothing.
  nlohmann::json pendingPod(const std::string& name) const {
    return {{"apiVersion", "v1"},
            {"kind", "Pod"},
            {"metadata", {{"name", name}, {"labels", {{"app", "lg-it-pending"}}}}},
            {"spec",
             {{"nodeSelector", {{"lg-test/no-such-node", "true"}}},
              {"automountServiceAccountToken", false},
              {"containers", {{{"name", "main"}, {"image", "localhost/lg-test:1"}}}}}}};
  }

  std::string kubeconfigPath;
  ClusterConfig config;
  std::unique_ptr<HttpApiClient> api;
  std::string ns;
};

}  // namespace lg::kube::integration
