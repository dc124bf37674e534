// HttpApiClient against the real API server of the local cluster: TLS with the admin client
// certificate, CRUD with every patch type, optimistic concurrency, paging, watches.

#include <atomic>
#include <set>
#include <thread>

#include "tests/integration/kube/cluster_fixture.h"

namespace lg::kube::integration {
namespace {

using namespace std::chrono_literals;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using Type = WatchEvent::Type;

class HttpApiClientIntegrationTest : public ClusterTest {
 protected:
  ResourceRef cm(const std::string& name = "") const { return core("configmaps", ns, name); }

  nlohmann::json configMap(const std::string& name, nlohmann::json data) const {
    return {{"apiVersion", "v1"},
            {"kind", "ConfigMap"},
            {"metadata", {{"name", name}}},
            {"data", std::move(data)}};
  }

  std::string rvOf(const nlohmann::json& obj) const {
    return obj["metadata"]["resourceVersion"].get<std::string>();
  }
};

TEST_F(HttpApiClientIntegrationTest, VersionAndACoreObject) {
  auto v = api->getPath("/version");
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_THAT((*v)["gitVersion"].get<std::string>(), StartsWith("v1."));
  auto n = api->get(core("namespaces", "", ns));
  ASSERT_TRUE(n.ok()) << n.error().message;
  EXPECT_EQ((*n)["kind"], "Namespace");
  EXPECT_EQ((*n)["metadata"]["labels"]["lg-test"], "kube");
}

TEST_F(HttpApiClientIntegrationTest, ConfigMapLifecycleWithEveryPatchTypeAndConflict) {
  auto created = api->create(cm(), configMap("settings", {{"a", "1"}}));
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_EQ((*created)["metadata"]["namespace"], ns);
  const std::string rv1 = rvOf(*created);

  auto got = api->get(cm("settings"));
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ((*got)["data"]["a"], "1");

  auto merged = api->patch(cm("settings"), PatchType::kMerge, {{"data", {{"b", "2"}}}});
  ASSERT_TRUE(merged.ok()) << merged.error().message;
  EXPECT_EQ((*merged)["data"], (nlohmann::json{{"a", "1"}, {"b", "2"}}));

  auto jsonPatched =
      api->patch(cm("settings"), PatchType::kJson,
                 nlohmann::json::array({{{"op", "add"}, {"path", "/data/c"}, {"value", "3"}},
                                        {{"op", "remove"}, {"path", "/data/a"}}}));
  ASSERT_TRUE(jsonPatched.ok()) << jsonPatched.error().message;
  EXPECT_EQ((*jsonPatched)["data"], (nlohmann::json{{"b", "2"}, {"c", "3"}}));

  auto strategic = api->patch(cm("settings"), PatchType::kStrategicMerge,
                              {{"metadata", {{"labels", {{"s", "y"}}}}}});
  ASSERT_TRUE(strategic.ok()) << strategic.error().message;
  EXPECT_EQ((*strategic)["metadata"]["labels"]["s"], "y");

  WriteOptions apply;
  apply.fieldManager = "lg-integration";
  apply.force = true;
  auto applied = api->patch(cm("settings"), PatchType::kApply,
                            {{"apiVersion", "v1"},
                             {"kind", "ConfigMap"},
                             {"metadata", {{"name", "settings"}}},
                             {"data", {{"owned", "yes"}}}},
                            apply);
  ASSERT_TRUE(applied.ok()) << applied.error().message;
  EXPECT_EQ((*applied)["data"]["owned"], "yes");
  bool managed = false;
  for (const auto& m : (*applied)["metadata"]["managedFields"]) {
    managed = managed || (m["manager"] == "lg-integration" && m["operation"] == "Apply");
  }
  EXPECT_TRUE(managed) << (*applied)["metadata"]["managedFields"].dump();

  // Optimistic concurrency: a replace carrying the first resourceVersion is a 409.
  nlohmann::json stale = *created;
  stale["data"] = {{"stale", "write"}};
  auto conflict = api->replace(cm("settings"), stale);
  ASSERT_FALSE(conflict.ok());
  EXPECT_EQ(conflict.error().code, 409);
  EXPECT_THAT(conflict.error().message,
              AllOf(StartsWith("PUT /api/v1/namespaces/" + ns + "/configmaps/settings: "),
                    HasSubstr("the object has been modified")));
  EXPECT_NE(rv1, rvOf(*applied));

  nlohmann::json fresh = *applied;
  fresh["data"] = {{"replaced", "true"}};
  fresh["metadata"].erase("managedFields");
  auto replaced = api->replace(cm("settings"), fresh);
  ASSERT_TRUE(replaced.ok()) << replaced.error().message;
  EXPECT_EQ((*replaced)["data"], (nlohmann::json{{"replaced", "true"}}));

  // dryRun: validated and answered, never stored.
  WriteOptions dry;
  dry.dryRun = true;
  auto dryCreated = api->create(cm(), configMap("dry", {{"x", "y"}}), dry);
  ASSERT_TRUE(dryCreated.ok()) << dryCreated.error().message;
  EXPECT_EQ(api->get(cm("dry")).error().code, 404);

  DeleteOptions pre;
  pre.preconditionResourceVersion = rv1;  // outdated: refused
  auto refused = api->remove(cm("settings"), pre);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, 409);

  ASSERT_TRUE(api->remove(cm("settings")).ok());
  auto gone = api->get(cm("settings"));
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().code, 404);
  EXPECT_THAT(gone.error().message, HasSubstr(R"(configmaps "settings" not found)"));
  EXPECT_EQ(api->remove(cm("settings")).error().code, 404);
}

TEST_F(HttpApiClientIntegrationTest, ValidationErrorsNameTheField) {
  auto bad = api->create(cm(), configMap("Bad_Name", {{"k", "v"}}));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, 422);
  EXPECT_THAT(bad.error().message, HasSubstr(R"(metadata.name: Invalid value: "Bad_Name")"));
  auto noManager =
      api->patch(cm("x"), PatchType::kApply, configMap("x", {}),
                 WriteOptions{.fieldManager = "", .force = false, .dryRun = false, .timeout = {}});
  ASSERT_FALSE(noManager.ok());
  EXPECT_EQ(noManager.error().code, 422);
  EXPECT_THAT(noManager.error().message, HasSubstr("fieldManager"));
}

TEST_F(HttpApiClientIntegrationTest, ListPodsPageByPage) {
  waitForDefaultServiceAccount();
  for (int i = 0; i < 5; ++i) {
    auto p = api->create(core("pods", ns), pendingPod("p" + std::to_string(i)));
    ASSERT_TRUE(p.ok()) << p.error().message;
  }
  ListOptions lo;
  lo.limit = 2;
  lo.labelSelector = "app=lg-it-pending";
  std::vector<size_t> pageSizes;
  std::set<std::string> names;
  std::string listRv;
  for (int page = 0; page < 10; ++page) {
    auto r = api->list(core("pods", ns), lo);
    ASSERT_TRUE(r.ok()) << r.error().message;
    pageSizes.push_back(r->items.size());
    for (const auto& pod : r->items)
      names.insert(pod["metadata"]["name"].get<std::string>());
    if (listRv.empty()) listRv = r->resourceVersion;
    EXPECT_EQ(r->resourceVersion, listRv);  // one consistent snapshot across pages
    if (r->continueToken.empty()) break;
    lo.continueToken = r->continueToken;
  }
  EXPECT_EQ(pageSizes, (std::vector<size_t>{2, 2, 1}));
  EXPECT_EQ(names, (std::set<std::string>{"p0", "p1", "p2", "p3", "p4"}));

  ListOptions none;
  none.labelSelector = "app=nothing-matches";
  auto empty = api->list(core("pods", ns), none);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->items.is_array());
  EXPECT_TRUE(empty->items.empty());
}

TEST_F(HttpApiClientIntegrationTest, StatusSubresource) {
  waitForDefaultServiceAccount();
  ASSERT_TRUE(api->create(core("pods", ns), pendingPod("st")).ok());
  const nlohmann::json condition = {
      {"type", "leakguard.io/Checked"}, {"status", "True"}, {"reason", "IntegrationTest"}};
  auto patched = api->patch(core("pods", ns, "st", "status"), PatchType::kStrategicMerge,
                            {{"status", {{"conditions", {condition}}}}});
  ASSERT_TRUE(patched.ok()) << patched.error().message;
  auto pod = api->get(core("pods", ns, "st"));
  ASSERT_TRUE(pod.ok());
  bool found = false;
  for (const auto& c : (*pod)["status"]["conditions"])
    found = found || c["type"] == condition["type"];
  EXPECT_TRUE(found) << (*pod)["status"].dump();
}

std::vector<WatchEvent> nextEvents(WatchStream& w, size_t n) {
  std::vector<WatchEvent> out;
  while (out.size() < n) {
    auto e = w.next();
    EXPECT_TRUE(e.ok()) << e.error().message;
    if (!e.ok() || !e->has_value()) break;
    if ((*e)->type == Type::kBookmark) continue;
    out.push_back(**e);
  }
  return out;
}

TEST_F(HttpApiClientIntegrationTest, WatchConfigMapsAndResume) {
  auto start = api->list(cm(), {});
  ASSERT_TRUE(start.ok()) << start.error().message;
  WatchOptions wo;
  wo.resourceVersion = start->resourceVersion;
  wo.timeoutSeconds = 60;
  wo.idleTimeout = 30s;
  // Only our ConfigMap: kube-controller-manager adds kube-root-ca.crt to a new namespace
  // whenever it gets to it, possibly after the list above.
  wo.fieldSelector = "metadata.name=watched";
  auto w = api->watch(cm(), wo);
  ASSERT_TRUE(w.ok()) << w.error().message;

  ASSERT_TRUE(api->create(cm(), configMap("watched", {{"v", "1"}})).ok());
  ASSERT_TRUE(api->patch(cm("watched"), PatchType::kMerge, {{"data", {{"v", "2"}}}}).ok());
  ASSERT_TRUE(api->remove(cm("watched")).ok());

  auto events = nextEvents(**w, 3);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].type, Type::kAdded);
  EXPECT_EQ(events[0].object["metadata"]["name"], "watched");
  EXPECT_EQ(events[1].type, Type::kModified);
  EXPECT_EQ(events[1].object["data"]["v"], "2");
  EXPECT_EQ(events[2].type, Type::kDeleted);
  (*w)->cancel();

  // Resuming from the ADDED event's resourceVersion replays what came after it.
  WatchOptions resume = wo;
  resume.resourceVersion = rvOf(events[0].object);
  auto again = api->watch(cm(), resume);
  ASSERT_TRUE(again.ok()) << again.error().message;
  auto replay = nextEvents(**again, 2);
  ASSERT_EQ(replay.size(), 2u);
  EXPECT_EQ(replay[0].type, Type::kModified);
  EXPECT_EQ(replay[1].type, Type::kDeleted);
  EXPECT_EQ(rvOf(replay[1].object), rvOf(events[2].object));
}

TEST_F(HttpApiClientIntegrationTest, TooOldResourceVersionIs410) {
  // Events have no watch cache in the API server, so a watch from resourceVersion 1 goes to
  // etcd, which refuses it once its history has been compacted (e2e/cluster's API server
  // compacts every minute; a cluster that has just started may not have done it yet, hence
  // the wait). Cached resources would replay from their watch cache instead while it still
  // reaches back to the cluster's first resourceVersions.
  const ResourceRef events{
      .group = "", .version = "v1", .resource = "events", .ns = "", .name = "", .subresource = ""};
  std::string seen;
  const bool gone = eventually(
      [&] {
        WatchOptions wo;
        wo.resourceVersion = "1";
        wo.timeoutSeconds = 5;
        auto w = api->watch(events, wo);
        // The API server answers either with HTTP 410 or with a 200 carrying an ERROR event.
        if (!w.ok()) {
          seen = w.error().message;
          return w.error().code == 410;
        }
        auto e = (*w)->next();
        if (!e.ok() || !e->has_value()) {
          seen = e.ok() ? "end of stream" : e.error().message;
          return false;
        }
        seen = (*e)->object.dump().substr(0, 300);
        // etcd's refusal: "The resourceVersion for the provided watch is too old."
        return (*e)->type == Type::kError && (*e)->object.value("code", 0) == 410 &&
               (*e)->object.value("reason", "") == "Expired";
      },
      200s);
  EXPECT_TRUE(gone) << "last answer: " << seen;
}

TEST_F(HttpApiClientIntegrationTest, WatchEndsCleanlyAfterTimeoutSeconds) {
  WatchOptions wo;
  wo.timeoutSeconds = 1;
  wo.allowBookmarks = false;
  auto w = api->watch(cm(), wo);
  ASSERT_TRUE(w.ok()) << w.error().message;
  const auto started = std::chrono::steady_clock::now();
  for (;;) {  // the namespace's kube-root-ca.crt may show up as ADDED first
    auto e = (*w)->next();
    ASSERT_TRUE(e.ok()) << e.error().message;
    if (!e->has_value()) break;
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
}

TEST_F(HttpApiClientIntegrationTest, CancelUnblocksARealWatch) {
  auto start = api->list(cm(), {});
  ASSERT_TRUE(start.ok());
  WatchOptions wo;
  wo.resourceVersion = start->resourceVersion;
  wo.allowBookmarks = false;
  auto w = api->watch(cm(), wo);
  ASSERT_TRUE(w.ok()) << w.error().message;
  WatchStream* stream = w->get();
  std::thread canceller([stream] {
    std::this_thread::sleep_for(300ms);
    stream->cancel();
  });
  const auto t0 = std::chrono::steady_clock::now();
  Result<std::optional<WatchEvent>> e = std::optional<WatchEvent>();
  do {  // events that happen meanwhile (the namespace's kube-root-ca.crt) come first
    e = stream->next();
  } while (e.ok() && e->has_value());
  canceller.join();
  ASSERT_FALSE(e.ok()) << "the watch ended instead of being cancelled";
  EXPECT_EQ(e.error().code, 0);
  EXPECT_THAT(e.error().message, HasSubstr("cancelled"));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
}

TEST_F(HttpApiClientIntegrationTest, KeepAliveAndConcurrency) {
  const auto before = api->stats().connectionsOpened;
  for (int i = 0; i < 20; ++i)
    ASSERT_TRUE(api->get(core("namespaces", "", ns)).ok());
  EXPECT_LE(api->stats().connectionsOpened - before, 1u);

  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 15; ++i)
        ok += api->get(core("namespaces", "", ns)).ok() ? 1 : 0;
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(ok, 90);
  EXPECT_LE(api->stats().connectionsOpened - before, 8u);
}

class TlsIntegrationTest : public ClusterTest {
 protected:
  Result<nlohmann::json> versionWith(ClusterConfig c) {
    HttpApiClientOptions o;
    o.timeout = 10s;
    auto client = HttpApiClient::create(std::move(c), o);
    if (!client) return client.error();
    return (*client)->getPath("/version");
  }
};

TEST_F(TlsIntegrationTest, ServerNameIsVerified) {
  ClusterConfig byName = config;
  byName.tlsServerName = "kubernetes.default.svc";  // in the serving certificate's SANs
  auto ok = versionWith(byName);
  EXPECT_TRUE(ok.ok()) << ok.error().message;

  ClusterConfig wrong = config;
  wrong.tlsServerName = "not-the-apiserver.example";
  const auto t0 = std::chrono::steady_clock::now();
  auto bad = versionWith(wrong);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, 0);
  EXPECT_THAT(bad.error().message, HasSubstr("hostname mismatch"));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);  // not retried: it cannot get better
}

TEST_F(TlsIntegrationTest, UntrustedServerIsRejectedUnlessInsecure) {
  ClusterConfig wrongCa = config;
  wrongCa.caData = config.clientCertData;  // some certificate, not the cluster's CA
  auto bad = versionWith(wrongCa);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.error().message, HasSubstr("certificate verification failed"));

  ClusterConfig insecure = config;
  insecure.caData.clear();
  insecure.insecureSkipVerify = true;
  auto ok = versionWith(insecure);
  EXPECT_TRUE(ok.ok()) << ok.error().message;
}

TEST_F(TlsIntegrationTest, WithoutCredentialsTheServerRefuses) {
  ClusterConfig anonymous = config;
  anonymous.clientCertData.clear();
  anonymous.clientKeyData.clear();
  HttpApiClientOptions o;
  o.timeout = 10s;
  auto client = HttpApiClient::create(anonymous, o);
  ASSERT_TRUE(client.ok()) << client.error().message;
  auto r = (*client)->get(core("namespaces", "", ns));
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.error().code == 401 || r.error().code == 403) << r.error().message;
}

}  // namespace
}  // namespace lg::kube::integration
