// What following one node's containers costs: a UsageHub fed six hours of samples, every 10 s,
// for every container of a node at the kubelet's default maximum (110 pods of two containers;
// memory, fds and threads each), the shapes of bench/scale's simulated agents (flat with noise, a
// GC sawtooth, one container in 200 leaking). Its heap is what a controller holds per node of
// the cluster when it detects for every pod, and what a node agent would hold if it detected for
// its own node.
//   build/bin/detect_bench --benchmark_filter=Hub --benchmark_counters_tabular=true
// Figures and how they were made: BENCHMARKS.md ("At scale: detection").

#include <benchmark/benchmark.h>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "controllers/reconcile/usage_hub.h"

namespace {

using lg::reconcile::UsageHub;
using lg::sources::Source;
using lg::sources::UsageSample;

constexpr int kPods = 110;
constexpr double kInterval = 10;
constexpr double kHistory = 6 * 3600.0;

std::size_t heapInUse() {
#ifdef __GLIBC__
  return mallinfo2().uordblks;
#else
  return 0;
#endif
}

// A deterministic number in [0, 1) from two integers.
double unit(std::uint64_t a, std::uint64_t b) {
  std::uint64_t x = a * 0x9E3779B97F4A7C15ull ^ (b + 0x632BE59BD9B4E5E9ull);
  x ^= x >> 31;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 29;
  return static_cast<double>(x >> 11) / 9007199254740992.0;
}

struct Container {
  UsageSample memory, fds, threads;
  int shape = 0;  // 0 flat, 1 GC sawtooth, 2 leak
  double base = 0;
};

std::vector<Container> nodeContainers() {
  std::vector<Container> out;
  for (int p = 0; p < kPods; ++p) {
    for (int c = 0; c < 2; ++c) {
      const int i = p * 2 + c;
      UsageSample s{
          .podUid = "0b6f3c1e-9a43-4c55-8d21-" + std::to_string(100000000000 + p),
          .ns = "team-" + std::to_string(p % 7),
          .pod = "checkout-7d9f8c6b5-" + std::to_string(10000 + p),
          .container = c == 0 ? "app" : "sidecar",
          .containerId = "containerd://" + std::string(60, 'a') + std::to_string(1000 + i),
          .limit = c == 0 ? 256.0 * (1 << 20) : 64.0 * (1 << 20),
          .source = Source::kAgent};
      Container k{.memory = s, .fds = s, .threads = s};
      k.fds.resource = lg::detect::Resource::kFds;
      k.fds.limit = 1048576;
      k.threads.resource = lg::detect::Resource::kThreads;
      k.threads.limit = 0;
      k.shape = i % 200 == 199 ? 2 : i % 2;
      k.base = 0.25 + 0.25 * unit(i, 1);
      out.push_back(std::move(k));
    }
  }
  return out;
}

void BM_HubOneNodeSixHours(benchmark::State& state) {
  const auto opts = std::make_shared<const lg::detect::DetectorOptions>();
  std::vector<Container> containers = nodeContainers();
  const int ticks = static_cast<int>(kHistory / kInterval);
  std::size_t series = 0, heap = 0;
  for (auto _ : state) {
    const std::size_t before = heapInUse();
    UsageHub hub({.optionsFor = [&opts](const UsageSample&) { return opts; }});
    for (int k = 0; k < ticks; ++k) {
      const double t = 1.7e9 + k * kInterval, minutes = k * kInterval / 60;
      for (std::size_t i = 0; i < containers.size(); ++i) {
        Container& c = containers[i];
        double v = c.base * c.memory.limit * (1 + 0.01 * (unit(i, k) - 0.5));
        if (c.shape == 1) v += 0.15 * c.memory.limit * std::fmod(minutes, 20) / 20;
        if (c.shape == 2) v += (1 - c.base) * c.memory.limit * minutes / (kHistory / 60 + 120);
        c.memory.time = c.fds.time = c.threads.time = t;
        c.memory.value = std::floor(v / 4096) * 4096;
        c.fds.value = 20 + static_cast<int>(unit(i, k / 30) * 4);
        c.threads.value = 12 + static_cast<int>(i % 8);
        hub.ingest(c.memory);
        hub.ingest(c.fds);
        hub.ingest(c.threads);
      }
    }
    series = hub.seriesCount();
    heap = heapInUse() - before;
  }
  const double samples = static_cast<double>(ticks) * static_cast<double>(containers.size()) * 3;
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * samples));
  state.counters["series"] = static_cast<double>(series);
  state.counters["heap_MiB"] = static_cast<double>(heap) / (1 << 20);
  state.counters["bytes_per_series"] = static_cast<double>(heap) / static_cast<double>(series);
}
BENCHMARK(BM_HubOneNodeSixHours)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
