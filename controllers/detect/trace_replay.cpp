#include "controllers/detect/trace_replay.h"

#include <cmath>

#include "controllers/detect/leak_detector.h"

namespace lg::detect {

ReplayResult replayTrace(const Trace& trace, const DetectorOptions& opts) {
  ReplayResult out;
  const auto shared = std::make_shared<const DetectorOptions>(opts);
  std::array<LeakDetector, 3> detectors{LeakDetector(shared), LeakDetector(shared),
                                        LeakDetector(shared)};
  out.memorySignal = trace.hasAnon ? "anon" : "working_set";
  auto feed = [&](Resource r, double t, double value, double limit) {
    if (std::isnan(value)) return;
    auto& res = out.resources[static_cast<std::size_t>(r)];
    if (!std::isnan(limit)) res.present = true;
    ++res.samples;
    auto f = detectors[static_cast<std::size_t>(r)].add(t, value, limit);
    if (f && !res.first) res.first = f;
  };
  for (const TraceRow& row : trace.rows) {
    // What the kernel cannot reclaim is anon + shmem; page cache is not a leak.
    double memory = row.workingSet;
    if (trace.hasAnon) memory = std::isnan(row.shmem) ? row.anon : row.anon + row.shmem;
    feed(Resource::kMemory, row.timestamp, memory, row.limit);
    feed(Resource::kFds, row.timestamp, row.openFds, row.fdLimit);
    feed(Resource::kThreads, row.timestamp, row.threads, row.threadsLimit);
  }
  for (Resource r : kAllResources) {
    auto& res = out.resources[static_cast<std::size_t>(r)];
    res.resets = detectors[static_cast<std::size_t>(r)].resets();
    if (res.first &&
        (!out.firstResource ||
         res.first->time < out.resources[static_cast<std::size_t>(*out.firstResource)].first->time))
      out.firstResource = r;
  }
  return out;
}

}  // namespace lg::detect
