// Cost of the online detector and the series storage, per sample.
//   build/bin/detect_bench --benchmark_counters_tabular=true
// Figures and how they were made: BENCHMARKS.md.

#include <benchmark/benchmark.h>

#include <cmath>
#include <filesystem>
#include <random>
#include <vector>

#include "controllers/detect/compressed_series.h"
#include "controllers/detect/leak_detector.h"
#include "controllers/detect/trace_reader.h"

namespace {

using lg::detect::CompressedSeries;
using lg::detect::LeakDetector;

struct S {
  double t, v;
};

// One week at 15 s of a given shape, with scrape noise.
std::vector<S> series(int shape) {
  std::mt19937_64 rng(42);
  std::normal_distribution<double> noise(0, 3e6);
  std::vector<S> out;
  for (int i = 0; i < 7 * 5760; ++i) {
    const double t = 1.7e9 + i * 15.0;
    double v = 400e6;
    if (shape == 1) v += std::fmod(i * 15.0, 1e5) * 2000;                // slow leak, resets
    if (shape == 2) v += 300e6 * std::fmod(i * 15.0, 1200) / 1200;       // GC sawtooth
    if (shape == 3) v += 100e6 * std::sin(2 * M_PI * i * 15.0 / 86400);  // daily cycle
    out.push_back({t, v + noise(rng)});
  }
  return out;
}

void BM_DetectorPerSample(benchmark::State& state) {
  const auto data = series(static_cast<int>(state.range(0)));
  std::size_t i = 0;
  LeakDetector d;
  for (auto _ : state) {
    if (i == data.size()) {
      state.PauseTiming();
      d = LeakDetector();
      i = 0;
      state.ResumeTiming();
    }
    benchmark::DoNotOptimize(d.add(data[i].t + 0, data[i].v, 1.5e9));
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["bytes_per_series"] = static_cast<double>(d.memoryBytes());
}
BENCHMARK(BM_DetectorPerSample)->Arg(0)->Arg(1)->Arg(2)->Arg(3)->ArgName("shape");

void BM_CompressedAppend(benchmark::State& state) {
  const auto data = series(2);
  std::size_t i = 0;
  CompressedSeries s({.quantum = 65536, .retentionSeconds = 6 * 3600, .chunkSamples = 256});
  for (auto _ : state) {
    if (i == data.size()) i = 0;
    benchmark::DoNotOptimize(s.append(data[i].t + (data.size() * 15.0) * 0, data[i].v));
    ++i;
    if (i == data.size()) {
      state.PauseTiming();
      s = CompressedSeries({.quantum = 65536, .retentionSeconds = 6 * 3600, .chunkSamples = 256});
      state.ResumeTiming();
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CompressedAppend);

void BM_CompressedDecode(benchmark::State& state) {
  const auto data = series(2);
  CompressedSeries s({.quantum = 65536, .retentionSeconds = 1e9, .chunkSamples = 256});
  for (const auto& x : data)
    s.append(x.t, x.v);
  for (auto _ : state) {
    double sum = 0;
    s.forEach([&](double, double v) { sum += v; });
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(s.size()));
}
BENCHMARK(BM_CompressedDecode);

// Storage cost on the labelled public traces: memory (anon) at a 64 KiB quantum, fds and
// threads exact. Set LEAKGUARD_TRACES to the traces directory (default ../shared/traces).
void BM_StorageOnPublicTraces(benchmark::State& state) {
  namespace fs = std::filesystem;
  const char* env = std::getenv("LEAKGUARD_TRACES");
  fs::path dir = env ? fs::path(env) / "public" : fs::path("../shared/traces/public");
  if (!fs::is_directory(dir)) dir = "/work/shared/traces/public";
  std::vector<lg::detect::Trace> traces;
  if (fs::is_directory(dir)) {
    for (const auto& e : fs::directory_iterator(dir)) {
      if (e.path().extension() != ".csv") continue;
      auto t = lg::detect::readTrace(e.path().string());
      if (t) traces.push_back(std::move(*t));
    }
  }
  if (traces.empty()) {
    state.SkipWithError("public traces not found; set LEAKGUARD_TRACES");
    return;
  }
  double bits = 0, samples = 0, heap = 0;
  for (auto _ : state) {
    bits = samples = heap = 0;
    for (const auto& tr : traces) {
      CompressedSeries mem({.quantum = 65536, .retentionSeconds = 1e9, .chunkSamples = 256});
      CompressedSeries fds({.quantum = 1, .retentionSeconds = 1e9, .chunkSamples = 256});
      CompressedSeries thr({.quantum = 1, .retentionSeconds = 1e9, .chunkSamples = 256});
      for (const auto& r : tr.rows) {
        mem.append(r.timestamp, std::isnan(r.anon) ? r.workingSet : r.anon);
        fds.append(r.timestamp, r.openFds);
        thr.append(r.timestamp, r.threads);
      }
      for (const CompressedSeries* s : {&mem, &fds, &thr}) {
        bits += static_cast<double>(s->payloadBits());
        samples += static_cast<double>(s->size());
        heap += static_cast<double>(s->memoryBytes());
      }
    }
  }
  state.counters["payload_bytes_per_sample"] = bits / 8 / samples;
  state.counters["heap_bytes_per_sample"] = heap / samples;
  state.counters["samples"] = samples;
}
BENCHMARK(BM_StorageOnPublicTraces)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
