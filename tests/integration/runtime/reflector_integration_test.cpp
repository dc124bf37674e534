// An Informer over ConfigMaps in a fresh namespace of the real API server.

#include <gtest/gtest.h>

#include <algorithm>

#include "operator/runtime/informer.h"
#include "operator/runtime/metrics_registry.h"
#include "operator/runtime/runtime_metrics.h"
#include "tests/integration/runtime/runtime_cluster_fixture.h"

namespace lg::runtime::integration {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

struct Cm {
  std::string name;
  std::string value;
};

std::optional<Cm> projectCm(const json& j) {
  Cm c{j["metadata"].value("name", ""), ""};
  if (j.contains("data") && j["data"].is_object()) c.value = j["data"].value("value", "");
  return c;
}

json cm(const std::string& name, const std::string& value) {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", name}, {"labels", {{"lg-test", "runtime"}}}}},
          {"data", {{"value", value}}}};
}

class Recorder {
 public:
  EventHandler<Cm> handler() {
    using P = std::shared_ptr<const Cm>;
    return EventHandler<Cm>{
        .onAdd = [this](const std::string& k, const P& o) { push("add " + k + "=" + o->value); },
        .onUpdate = [this](const std::string& k, const P& o,
                           const P& n) { push("update " + k + " " + o->value + "->" + n->value); },
        .onDelete = [this](const std::string& k, const P&) { push("delete " + k); },
    };
  }
  bool waitFor(const std::string& event, std::chrono::seconds timeout = 30s) {
    std::unique_lock g(mu_);
    return cv_.wait_for(g, timeout, [&] {
      return std::find(events_.begin(), events_.end(), event) != events_.end();
    });
  }
  std::vector<std::string> events() {
    std::lock_guard g(mu_);
    return events_;
  }
  std::size_t count(const std::string& event) {
    std::lock_guard g(mu_);
    return static_cast<std::size_t>(std::count(events_.begin(), events_.end(), event));
  }

 private:
  void push(std::string e) {
    {
      std::lock_guard g(mu_);
      events_.push_back(std::move(e));
    }
    cv_.notify_all();
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> events_;
};

class ReflectorIntegrationTest : public RuntimeClusterTest {
 protected:
  ReflectorOptions options() {
    ReflectorOptions o;
    o.resource = coreRef("configmaps", ns);
    o.labelSelector = "lg-test=runtime";  // leaves out the namespace's kube-root-ca.crt
    o.pageSize = 10;
    o.metrics = &metrics;
    o.backoff = BackoffOptions{.initial = 200ms, .max = 2s, .factor = 2.0, .jitter = 0.1};
    return o;
  }
  Status write(const json& obj) {
    auto r = api->create(coreRef("configmaps", ns), obj);
    return r.ok() ? okStatus() : Status(r.error());
  }
  Status update(const std::string& name, const std::string& value) {
    return api->patch(coreRef("configmaps", ns, name), kube::PatchType::kMerge,
                      {{"data", {{"value", value}}}})
                   .ok()
               ? okStatus()
               : Status(makeError("patch failed"));
  }

  MetricsRegistry registry;
  RuntimeMetrics metrics{registry};
  Recorder recorder;
};

TEST_F(ReflectorIntegrationTest, SeesListedObjectsThenCreatesUpdatesAndDeletes) {
  for (int i = 0; i < 25; ++i)
    ASSERT_TRUE(write(cm("pre-" + std::to_string(i), "0")).ok());
  Informer<Cm> informer(*api, SystemClock::instance(), options(), projectCm);
  informer.addEventHandler(recorder.handler());
  informer.start();
  ASSERT_TRUE(informer.waitForSync(30s));
  EXPECT_EQ(informer.store().size(), 25u);  // three pages of 10

  ASSERT_TRUE(write(cm("live", "1")).ok());
  ASSERT_TRUE(recorder.waitFor("add " + ns + "/live=1"));
  ASSERT_TRUE(update("live", "2").ok());
  ASSERT_TRUE(recorder.waitFor("update " + ns + "/live 1->2"));
  EXPECT_EQ(informer.store().get(ns + "/live")->value, "2");
  ASSERT_TRUE(api->remove(coreRef("configmaps", ns, "live")).ok());
  ASSERT_TRUE(recorder.waitFor("delete " + ns + "/live"));
  EXPECT_FALSE(informer.store().contains(ns + "/live"));
  EXPECT_EQ(informer.store().size(), 25u);
  // The store's resourceVersion is the server's.
  auto got = api->get(coreRef("configmaps", ns, "pre-3"));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(informer.store().resourceVersion(ns + "/pre-3"),
            (*got)["metadata"]["resourceVersion"].get<std::string>());
  informer.stop();
  EXPECT_EQ(recorder.count("add " + ns + "/live=1"), 1u);
}

TEST_F(ReflectorIntegrationTest, ResumesAfterTheServerEndsTheWatchWithoutDuplicates) {
  ReflectorOptions o = options();
  o.watchTimeoutSeconds = 1;  // the server ends each watch after about a second
  Informer<Cm> informer(*api, SystemClock::instance(), o, projectCm);
  informer.addEventHandler(recorder.handler());
  informer.start();
  ASSERT_TRUE(informer.waitForSync(30s));
  for (int round = 0; round < 4; ++round) {
    const std::string name = "round-" + std::to_string(round);
    ASSERT_TRUE(write(cm(name, "1")).ok());
    ASSERT_TRUE(recorder.waitFor("add " + ns + "/" + name + "=1"));
    std::this_thread::sleep_for(1200ms);  // let the server end the stream (real time)
  }
  EXPECT_GE(informer.reflector().watchRestarts(), 3u);
  EXPECT_GE(metrics.watchRestarts.labels({"configmaps"}).value(), 3);
  EXPECT_EQ(informer.reflector().relists(), 0u);
  // Each object was added exactly once across the re-watches.
  for (int round = 0; round < 4; ++round)
    EXPECT_EQ(recorder.count("add " + ns + "/round-" + std::to_string(round) + "=1"), 1u);
  EXPECT_EQ(recorder.events().size(), 4u);
  informer.stop();
}

TEST_F(ReflectorIntegrationTest, WatchFromAnExpiredResourceVersionIsGoneAsTheReflectorExpects) {
  // The reflector's 410 handling is unit-tested; here we check the server says 410 the way
  // the reflector reads it (HTTP status or ERROR event with a Status of code 410). Events have
  // no watch cache, so the watch goes to etcd, which refuses resourceVersion 1 once its
  // history is compacted (every minute on e2e/cluster; a cluster that has just started may
  // not have done it yet, hence the wait).
  std::string seen;
  const auto gone = [&] {
    kube::WatchOptions wo;
    wo.resourceVersion = "1";
    wo.timeoutSeconds = 5;
    auto w = api->watch(coreRef("events", ns), wo);
    if (!w.ok()) {
      seen = w.error().message;
      return w.error().code == 410;
    }
    auto ev = (*w)->next();
    if (!ev.ok() || !ev->has_value()) {
      seen = ev.ok() ? "end of stream" : ev.error().message;
      return false;
    }
    seen = (*ev)->object.dump().substr(0, 300);
    return (*ev)->type == kube::WatchEvent::Type::kError && (*ev)->object.value("code", 0) == 410;
  };
  const auto deadline = std::chrono::steady_clock::now() + 200s;
  bool ok = gone();
  while (!ok && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(2s);
    ok = gone();
  }
  EXPECT_TRUE(ok) << "last answer: " << seen;
}

TEST_F(ReflectorIntegrationTest, StopIsPromptWhileAWatchIsIdle) {
  Informer<Cm> informer(*api, SystemClock::instance(), options(), projectCm);
  informer.start();
  ASSERT_TRUE(informer.waitForSync(30s));
  std::this_thread::sleep_for(200ms);  // the watch is open and idle
  const auto t0 = std::chrono::steady_clock::now();
  informer.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
}

}  // namespace
}  // namespace lg::runtime::integration
