// Decoding a LIST of 10,000 realistic pods through the PodProjection projector into an
// Informer's Store (with the namespace, node and owner indexes the operator uses), and what
// that cache costs in memory per pod.
//
//   build/bin/runtime_pod_store_bench
//
// Counters: heap_B_per_pod (malloc'd bytes retained by the store, its namespace/node/owner
// indexes and the interner, from mallinfo2 before and after the list: malloc's own overhead
// included), heap_noidx_B_per_pod (the same without indexes), projection_B_per_pod (what
// PodProjection::memoryBytes() counts), json_B_per_pod (the same pods cached as
// nlohmann::json, for comparison). Resident set size is not reported: the allocator reuses the
// memory freed while the input was built, so RSS growth says nothing here.

#include <benchmark/benchmark.h>
#include <malloc.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "operator/runtime/informer.h"
#include "operator/runtime/pod_projection.h"
#include "tests/fakes/fake_api_client.h"
#include "tests/fakes/fake_clock.h"

namespace {

using lg::runtime::Informer;
using lg::runtime::PodProjection;
using nlohmann::json;

constexpr int kPods = 10000;
constexpr int kPageSize = 500;

std::string hex(std::mt19937_64& rng, int n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < n; ++i)
    s += kHex[rng() % 16];
  return s;
}

std::string uuid(std::mt19937_64& rng) {
  return hex(rng, 8) + "-" + hex(rng, 4) + "-4" + hex(rng, 3) + "-a" + hex(rng, 3) + "-" +
         hex(rng, 12);
}

std::string alnum(std::mt19937_64& rng, int n) {
  static constexpr char kChars[] = "bcdfghjklmnpqrstvwxz2456789";
  std::string s;
  for (int i = 0; i < n; ++i)
    s += kChars[rng() % (sizeof kChars - 1)];
  return s;
}

// One pod as the API server sends it: 20 namespaces, 500 deployments, 50 nodes, 1-3
// containers, managedFields, env, mounts, tolerations, conditions and container statuses.
json makePod(std::mt19937_64& rng, int i) {
  const int deployment = i % 500;
  const std::string ns = "team-" + std::to_string(deployment % 20);
  const std::string app = "service-" + std::to_string(deployment);
  const std::string hash = "7d9f8b6c" + std::to_string(deployment % 10);
  const std::string rs = app + "-" + hash;
  const std::string name = rs + "-" + alnum(rng, 5);
  const std::string node = "node-" + std::to_string(i % 50) + ".cluster.internal";
  const int nContainers = 1 + static_cast<int>(rng() % 3);

  json containers = json::array();
  json statuses = json::array();
  for (int c = 0; c < nContainers; ++c) {
    const std::string cname = c == 0 ? "app" : (c == 1 ? "envoy" : "log-shipper");
    containers.push_back(
        {{"name", cname},
         {"image", "registry.example.com/" + app + ":v1." + std::to_string(deployment % 7)},
         {"imagePullPolicy", "IfNotPresent"},
         {"ports", {{{"containerPort", 8080 + c}, {"name", "http"}, {"protocol", "TCP"}}}},
         {"env",
          {{{"name", "LOG_LEVEL"}, {"value", "info"}},
           {{"name", "POD_NAME"}, {"valueFrom", {{"fieldRef", {{"fieldPath", "metadata.name"}}}}}},
           {{"name", "GOMAXPROCS"}, {"value", "2"}}}},
         {"resources",
          {{"limits", {{"cpu", "500m"}, {"memory", std::to_string(128 << (c % 3)) + "Mi"}}},
           {"requests", {{"cpu", "100m"}, {"memory", "64Mi"}}}}},
         {"volumeMounts",
          {{{"name", "kube-api-access-" + alnum(rng, 5)},
            {"mountPath", "/var/run/secrets/kubernetes.io/serviceaccount"},
            {"readOnly", true}}}},
         {"terminationMessagePath", "/dev/termination-log"},
         {"terminationMessagePolicy", "File"}});
    json last = json::object();
    const int restarts = static_cast<int>(rng() % 4);
    if (restarts > 0)
      last = {{"terminated",
               {{"exitCode", 137},
                {"reason", rng() % 2 ? "OOMKilled" : "Error"},
                {"startedAt", "2026-01-01T00:00:00Z"},
                {"finishedAt", "2026-01-01T01:00:00Z"},
                {"containerID", "containerd://" + hex(rng, 64)}}}};
    statuses.push_back({{"name", cname},
                        {"containerID", "containerd://" + hex(rng, 64)},
                        {"image", "registry.example.com/" + app + ":v1"},
                        {"imageID", "registry.example.com/" + app + "@sha256:" + hex(rng, 64)},
                        {"ready", true},
                        {"started", true},
                        {"restartCount", restarts},
                        {"lastState", last},
                        {"state", {{"running", {{"startedAt", "2026-01-01T01:00:05Z"}}}}}});
  }
  json conditions = json::array();
  for (const char* t :
       {"PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"})
    conditions.push_back(
        {{"type", t}, {"status", "True"}, {"lastTransitionTime", "2026-01-01T00:00:01Z"}});

  return {{"metadata",
           {{"name", name},
            {"generateName", rs + "-"},
            {"namespace", ns},
            {"uid", uuid(rng)},
            {"resourceVersion", std::to_string(100000 + i)},
            {"creationTimestamp", "2026-01-01T00:00:00Z"},
            {"labels",
             {{"app", app},
              {"app.kubernetes.io/part-of", "shop"},
              {"pod-template-hash", hash},
              {"team", ns},
              {"version", "v1." + std::to_string(deployment % 7)}}},
            {"annotations",
             {{"kubectl.kubernetes.io/restartedAt", "2026-01-01T00:00:00Z"},
              {"prometheus.io/scrape", "true"}}},
            {"ownerReferences",
             {{{"apiVersion", "apps/v1"},
               {"kind", "ReplicaSet"},
               {"name", rs},
               {"uid", "00000000-0000-4000-8000-" +
                           std::string(12 - std::to_string(deployment).size(), '0') +
                           std::to_string(deployment)},
               {"controller", true},
               {"blockOwnerDeletion", true}}}},
            {"managedFields",
             {{{"manager", "kube-controller-manager"},
               {"operation", "Update"},
               {"apiVersion", "v1"},
               {"time", "2026-01-01T00:00:00Z"},
               {"fieldsType", "FieldsV1"},
               {"fieldsV1",
                {{"f:metadata", {{"f:labels", {{"f:app", json::object()}}}}},
                 {"f:spec", {{"f:containers", json::object()}}}}}},
              {{"manager", "kubelet"},
               {"operation", "Update"},
               {"apiVersion", "v1"},
               {"time", "2026-01-01T00:00:05Z"},
               {"fieldsType", "FieldsV1"},
               {"subresource", "status"},
               {"fieldsV1", {{"f:status", {{"f:conditions", json::object()}}}}}}}}}},
          {"spec",
           {{"containers", containers},
            {"nodeName", node},
            {"restartPolicy", "Always"},
            {"serviceAccountName", "default"},
            {"schedulerName", "default-scheduler"},
            {"terminationGracePeriodSeconds", 30},
            {"dnsPolicy", "ClusterFirst"},
            {"tolerations",
             {{{"key", "node.kubernetes.io/not-ready"},
               {"operator", "Exists"},
               {"effect", "NoExecute"},
               {"tolerationSeconds", 300}}}},
            {"volumes",
             {{{"name", "kube-api-access"},
               {"projected", {{"defaultMode", 420}, {"sources", json::array()}}}}}}}},
          {"status",
           {{"phase", "Running"},
            {"qosClass", "Burstable"},
            {"hostIP", "10.0." + std::to_string(i % 50) + ".1"},
            {"podIP", "10.244." + std::to_string(i % 250) + "." + std::to_string(i % 200)},
            {"startTime", "2026-01-01T00:00:00Z"},
            {"conditions", conditions},
            {"containerStatuses", statuses}}}};
}

// The LIST as the API server pages it: 20 pages of 500 pods.
const std::vector<json>& listPages() {
  static const std::vector<json> pages = [] {
    std::mt19937_64 rng(42);
    std::vector<json> out;
    for (int p = 0; p < kPods / kPageSize; ++p) {
      json items = json::array();
      for (int i = 0; i < kPageSize; ++i)
        items.push_back(makePod(rng, p * kPageSize + i));
      out.push_back({{"kind", "PodList"}, {"items", std::move(items)}});
    }
    return out;
  }();
  return pages;
}

const std::vector<std::string>& listPageTexts() {
  static const std::vector<std::string> texts = [] {
    std::vector<std::string> out;
    for (const auto& p : listPages())
      out.push_back(p.dump());
    return out;
  }();
  return texts;
}

struct Cache {
  lg::testing::FakeApiClient api;
  lg::testing::FakeClock clock;
  lg::runtime::StringInterner interner;
  std::unique_ptr<Informer<PodProjection>> informer;

  explicit Cache(bool indexes = true) {
    lg::runtime::ReflectorOptions o;
    o.resource = lg::testing::podsRef();
    informer = std::make_unique<Informer<PodProjection>>(
        api, clock, o, [this](const json& j) { return lg::runtime::projectPod(j, interner); });
    if (!indexes) return;
    informer->addIndex("namespace", lg::runtime::podNamespaceIndex);
    informer->addIndex("node", lg::runtime::podNodeIndex);
    informer->addIndex("owner", lg::runtime::podOwnerUidIndex);
  }
  ~Cache() { informer.reset(); }  // projections (and their handles) before the interner
};

void listInto(Cache& cache) {
  cache.informer->beginList();
  for (const auto& page : listPages())
    for (const auto& pod : page["items"])
      cache.informer->listed(pod);
  cache.informer->endList(true);
}

std::size_t heapInUse() {
  return mallinfo2().uordblks;
}

// Heap retained per pod by a cache holding the whole list.
std::size_t heapPerPod(bool indexes) {
  const std::size_t before = heapInUse();
  Cache cache(indexes);
  listInto(cache);
  return (heapInUse() - before) / kPods;
}

void BM_ListPodsIntoStore(benchmark::State& state) {
  listPages();  // build the input outside the measurement
  // Memory, measured once: what the cache retains after the list.
  const std::size_t withIndexes = heapPerPod(true);
  const std::size_t withoutIndexes = heapPerPod(false);
  std::size_t projPerPod = 0;
  {
    Cache cache;
    listInto(cache);
    std::size_t proj = 0;
    for (const auto& p : cache.informer->store().list())
      proj += p->memoryBytes();
    projPerPod = proj / kPods;
    if (cache.informer->store().size() != kPods) state.SkipWithError("store size mismatch");
  }
  for (auto _ : state) {
    Cache cache;
    listInto(cache);
    benchmark::DoNotOptimize(cache.informer->store().size());
  }
  state.SetItemsProcessed(state.iterations() * kPods);
  state.counters["heap_B_per_pod"] = static_cast<double>(withIndexes);
  state.counters["heap_noidx_B_per_pod"] = static_cast<double>(withoutIndexes);
  state.counters["projection_B_per_pod"] = static_cast<double>(projPerPod);
  state.counters["ns_per_pod"] =
      benchmark::Counter(static_cast<double>(state.iterations() * kPods),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_ListPodsIntoStore)->Unit(benchmark::kMillisecond);

// Including the JSON parse of each page's text (what the HTTP client does before us).
void BM_ParseAndListPodsIntoStore(benchmark::State& state) {
  const auto& texts = listPageTexts();
  std::size_t bytes = 0;
  for (const auto& t : texts)
    bytes += t.size();
  for (auto _ : state) {
    Cache cache;
    cache.informer->beginList();
    for (const auto& text : texts) {
      const json page = json::parse(text);
      for (const auto& pod : page["items"])
        cache.informer->listed(pod);
    }
    cache.informer->endList(true);
    benchmark::DoNotOptimize(cache.informer->store().size());
  }
  state.SetItemsProcessed(state.iterations() * kPods);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
  state.counters["list_json_B_per_pod"] = static_cast<double>(bytes / kPods);
}
BENCHMARK(BM_ParseAndListPodsIntoStore)->Unit(benchmark::kMillisecond);

// The baseline LeakGuard avoids: caching every pod as parsed JSON.
void BM_CacheWholeJsonBaseline(benchmark::State& state) {
  listPages();
  const std::size_t heap0 = heapInUse();
  std::size_t perPod = 0;
  {
    std::vector<json> cache;
    cache.reserve(kPods);
    for (const auto& page : listPages())
      for (const auto& pod : page["items"])
        cache.push_back(pod);
    perPod = (heapInUse() - heap0) / kPods;
  }
  for (auto _ : state) {
    std::vector<json> cache;
    cache.reserve(kPods);
    for (const auto& page : listPages())
      for (const auto& pod : page["items"])
        cache.push_back(pod);
    benchmark::DoNotOptimize(cache.data());
  }
  state.SetItemsProcessed(state.iterations() * kPods);
  state.counters["json_B_per_pod"] = static_cast<double>(perPod);
}
BENCHMARK(BM_CacheWholeJsonBaseline)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
