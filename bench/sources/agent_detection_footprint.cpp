// Detection on a node agent, whole process: the memory an agent's detection data path holds for
// one node, for /usr/bin/time -v (BENCHMARKS.md, "Where detection runs").
//   /usr/bin/time -v build/bin/agent_detection_footprint [--pods 110] [--containers 2]
//       [--hours 6] [--no-detection]
// What the agent's sampling thread does with each sample, for `--hours` of 10 s passes over
// `--pods` pods of `--containers` containers: the sample goes into the ring the controller
// could read (8,192 samples, the default) and, unless --no-detection, to the NodeDetector
// (reconcile/node_detector.h) that follows every container's memory, fds and threads, as
// assigned by a controller (one LeakPolicy's settings). The samples are made up rather than
// read from cgroups (the reading's cost: "Node agent: its own cost"): half flat with 1% noise,
// half a GC sawtooth, one container in 200 leaking. At the end it prints one JSON line: series
// followed, findings, the detector's own count of its bytes, and the process's resident and
// peak resident memory.

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "controllers/agent/sample_ring.h"
#include "controllers/reconcile/node_detector.h"
#include "operator/util/allocator.h"
#include "tests/fakes/fake_clock.h"

namespace {

constexpr double kStart = 1.8e9;

double statusKiB(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field, 0) == 0) return std::stod(line.substr(std::strlen(field)));
  return 0;
}

// Memory of container k at step n: flat with 1% noise, a GC sawtooth, or (one in 200) a leak.
double memoryAt(int k, int n) {
  const double base = 100e6 + (k % 7) * 20e6;
  if (k % 200 == 7) return base + n * 1e5;  // 36 MB an hour
  if (k % 2 == 0) return base * (1 + 0.01 * std::sin(n * 0.7 + k));
  return base * (1 + 0.3 * ((n + k) % 30) / 30.0);
}

}  // namespace

int main(int argc, char** argv) {
  int pods = 110, containers = 2;
  double hours = 6;
  bool detection = true;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--pods" && i + 1 < argc)
      pods = std::stoi(argv[++i]);
    else if (a == "--containers" && i + 1 < argc)
      containers = std::stoi(argv[++i]);
    else if (a == "--hours" && i + 1 < argc)
      hours = std::stod(argv[++i]);
    else if (a == "--no-detection")
      detection = false;
    else {
      std::fprintf(stderr, "usage: %s [--pods N] [--containers N] [--hours H] [--no-detection]\n",
                   argv[0]);
      return 2;
    }
  }
  lg::keepLargeBlocksMapped();  // as `leakguard agent` does
  lg::testing::FakeClock clock;
  lg::reconcile::NodeDetector detector(clock, {.node = "bench", .epoch = "e"});
  lg::agent::SampleRing ring(8192);
  lg::reconcile::DetectionAssignment assignment{.profiles = {{}}};
  std::vector<std::shared_ptr<const lg::agent::ContainerIdentity>> ids;
  for (int p = 0; p < pods; ++p) {
    char uid[40];
    std::snprintf(uid, sizeof uid, "%08x-0000-4000-8000-%012x", p, p);
    lg::reconcile::AssignedPod ap{.uid = uid};
    for (int c = 0; c < containers; ++c) {
      const std::string name = "c" + std::to_string(c);
      char cid[80];
      std::snprintf(cid, sizeof cid, "containerd://%064x", p * containers + c + 1);
      ids.push_back(std::make_shared<const lg::agent::ContainerIdentity>(
          lg::agent::ContainerIdentity{uid, "bench", "pod-" + std::to_string(p), name, cid}));
      ap.containers.push_back({.name = name, .profile = {0, 0, 0}, .runtimeOptionsInSpec = false});
    }
    assignment.pods.push_back(std::move(ap));
  }
  if (detection) detector.handle({.generation = 1, .assignment = assignment});

  const int steps = static_cast<int>(hours * 360);
  for (int n = 0; n < steps; ++n) {
    const double t = kStart + n * 10.0;
    for (std::size_t k = 0; k < ids.size(); ++k) {
      lg::agent::AgentSample s;
      s.time = t;
      s.id = ids[k];
      s.running = true;
      s.data.memory.anon = static_cast<std::uint64_t>(memoryAt(static_cast<int>(k), n));
      s.data.memory.shmem = 0;
      s.data.memory.limit = 1ull << 30;
      s.data.processes.processes = 1;
      s.data.processes.fdsMax = 40 + (n + k) % 5;
      s.data.processes.fdsSoftLimit = 1024;
      s.data.processes.threads = 20 + (n + k) % 3;
      s.data.pids.max = 0;
      if (detection) detector.observe(s);
      ring.push(std::move(s));
    }
  }
  clock.setWall(lg::Clock::time_point(std::chrono::seconds(static_cast<long>(kStart)) +
                                      std::chrono::seconds(steps * 10)));
  const auto report = detector.handle({.generation = 1});
  const nlohmann::json out = {{"pods", pods},
                              {"containers", ids.size()},
                              {"hours", hours},
                              {"detection", detection},
                              {"series", detector.seriesCount()},
                              {"findings", report.findings.size()},
                              {"detectorBytes", detector.memoryBytes()},
                              {"ringSamples", ring.size()},
                              {"rssKiB", statusKiB("VmRSS:")},
                              {"peakRssKiB", statusKiB("VmHWM:")}};
  std::printf("%s\n", out.dump().c_str());
  return 0;
}
