// The node agent's own cost: one sampling pass over 100 containers (fixture cgroup trees in a
// temp dir, 2 processes per container), the per-container sampler, and serving a page of samples.
//   build/bin/sources_bench --benchmark_counters_tabular=true
// CPU time per iteration of BM_AgentPass* is the CPU one pass over 100 containers costs.
// "FakeProc" reads a fake /proc (plain files, 20 fds per process); "RealProc" points every
// container's cgroup.procs at two live processes of this machine and reads the real /proc, so
// procfs's own cost (generating /proc/<pid>/status, the fd count) is in the figure.
// Figures and how they were made: BENCHMARKS.md.

#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "controllers/agent/kubelet_pod_lister.h"
#include "controllers/agent/node_agent.h"
#include "tests/fakes/fake_api_client.h"
#include "tests/unit/agent/cgroup_fixture.h"

namespace {

using lg::agent::AgentPod;
using lg::agent::NodeAgent;
using lg::agent::testing::MemoryFixture;
using lg::agent::testing::TempDir;

constexpr int kContainers = 100;

std::string uid(int i) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-0000-4000-8000-%012x", i, i);
  return buf;
}
std::string cid(int i) {
  char buf[80];
  std::snprintf(buf, sizeof buf, "%064x", i + 1);
  return buf;
}

// A node with 100 pods of one container each, a third in each QoS class; cgroup v1 (cgroupfs,
// nested kubepods as on the local cluster) or v2 (systemd).
struct Node {
  Node(int version, bool realProc) {
    const std::string kp = version == 1 ? "/nested/leakguard-e2e/kubepods" : "/kubepods.slice";
    if (version == 1) {
      lg::agent::testing::makeV1Root(dir, "cg");
    } else {
      lg::agent::testing::makeV2Root(dir, "cg");
    }
    const std::vector<std::int64_t> live{::getpid(), ::getppid()};
    for (int i = 0; i < kContainers; ++i) {
      const std::vector<std::int64_t> pids =
          realProc ? live : std::vector<std::int64_t>{1000 + 2 * i, 1001 + 2 * i};
      std::string path;
      std::string u = uid(i);
      if (version == 1) {
        const char* qos[] = {"", "/burstable", "/besteffort"};
        path = kp + qos[i % 3] + "/pod" + u + "/" + cid(i);
      } else {
        for (char& c : u)
          if (c == '-') c = '_';
        const char* qos[] = {"", "/kubepods-burstable.slice", "/kubepods-besteffort.slice"};
        const char* pre[] = {"kubepods-pod", "kubepods-burstable-pod", "kubepods-besteffort-pod"};
        path =
            kp + qos[i % 3] + "/" + pre[i % 3] + u + ".slice/cri-containerd-" + cid(i) + ".scope";
      }
      MemoryFixture m;
      if (version == 1) {
        lg::agent::testing::writeV1Cgroup(dir, "cg", path, m, pids);
      } else {
        lg::agent::testing::writeV2Cgroup(dir, "cg", path, m, pids);
      }
      if (!realProc)
        for (auto pid : pids)
          lg::agent::testing::writeProc(dir, "proc", pid, 8, 20);
      nlohmann::json pod = {
          {"metadata",
           {{"name", "pod-" + std::to_string(i)}, {"namespace", "bench"}, {"uid", uid(i)}}},
          {"spec", {{"containers", {{{"name", "app"}}}}}},
          {"status",
           {{"containerStatuses",
             {{{"name", "app"}, {"containerID", "containerd://" + cid(i)}}}}}}};
      pods.push_back(std::make_shared<const AgentPod>(*lg::agent::projectAgentPod(pod)));
    }
    agent = std::make_unique<NodeAgent>(
        api, lg::SystemClock::instance(),
        lg::agent::NodeAgentOptions{.nodeName = "bench",
                                    .cgroupRoot = dir.file("cg"),
                                    .procRoot = realProc ? "/proc" : dir.file("proc"),
                                    .kmsgPath = "",
                                    .bufferSamples = 8192});
    if (!agent->init().ok()) std::abort();
  }
  TempDir dir;
  lg::testing::FakeApiClient api;
  NodeAgent::PodList pods;
  std::unique_ptr<NodeAgent> agent;
};

void BM_AgentPass(benchmark::State& state, int version, bool realProc) {
  Node node(version, realProc);
  for (auto _ : state) {
    const auto n = node.agent->sampleOnce(node.pods);
    if (n != kContainers) state.SkipWithError("not every container was sampled");
  }
  state.counters["containers"] = kContainers;
  // Seconds of CPU per container sampled (shown with an SI prefix: "25u" is 25 us).
  state.counters["cpu_per_container"] =
      benchmark::Counter(static_cast<double>(state.iterations()) * kContainers,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK_CAPTURE(BM_AgentPass, V1FakeProc, 1, false)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_AgentPass, V2FakeProc, 2, false)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_AgentPass, V1RealProc, 1, true)->Unit(benchmark::kMicrosecond);

// Serving: one page of 5000 samples as JSON (what the controller fetches).
void BM_SamplesPage(benchmark::State& state) {
  Node node(1, false);
  for (int i = 0; i < 50; ++i)
    node.agent->sampleOnce(node.pods);
  std::size_t bytes = 0;
  for (auto _ : state) {
    const std::string page = node.agent->samplesPage(0, 5000);
    bytes = page.size();
    benchmark::DoNotOptimize(page.data());
  }
  state.counters["page_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_SamplesPage)->Unit(benchmark::kMillisecond);

// Listing the node's pods from the kubelet's log links (agent.podSource=kubelet): reading the
// directory of `range(0)` links (110 pods, the kubelet's default maximum, of 1 to 3
// containers, some with their previous instance) and grouping them into pods, every pass.
void BM_PodsFromLogLinks(benchmark::State& state) {
  TempDir dir;
  const std::string links = dir.file("containers");
  std::filesystem::create_directories(links);
  const int n = static_cast<int>(state.range(0));
  for (int i = 0; i < n; ++i) {
    char uid[40];
    std::snprintf(uid, sizeof uid, "%08x-0000-4000-8000-%012x", i / 3, i / 3);
    char id[65];
    std::snprintf(id, sizeof id, "%064x", i);
    const std::string pod = "web-" + std::to_string(i / 3);
    const std::string c = "c" + std::to_string(i % 3);
    std::filesystem::create_symlink("/var/log/pods/shop_" + pod + "_" + uid + "/" + c + "/0.log",
                                    links + "/" + pod + "_shop_" + c + "-" + id + ".log");
  }
  std::size_t pods = 0;
  for (auto _ : state) {
    auto list = lg::agent::podsFromLogLinks(lg::agent::readContainerLogLinks(links), {});
    pods = list.size();
    benchmark::DoNotOptimize(list.data());
  }
  state.counters["links"] = n;
  state.counters["pods"] = static_cast<double>(pods);
}
BENCHMARK(BM_PodsFromLogLinks)->Arg(330)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
