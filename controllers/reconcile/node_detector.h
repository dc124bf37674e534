#pragma once
// NodeDetector: detection on a node agent (`leakguard agent --detection`; ARCHITECTURE.md,
// "Where detection runs"). The agent's own samples feed a UsageHub of its own, but only for the
// series the controller assigned it (POST /v1/detection, reconcile/detection_wire.h): which
// pods, containers and resources some LeakPolicy covers, and with which detection settings. The
// agent keeps their history and detectors; the controller asks it for a report (each assigned
// pod's last sample, the current findings) every interval, and for a series' history only when
// it needs one (an incident's evidence, sizing).
//
// - An assignment replaces the one before: series no longer assigned are dropped at once; a
//   series whose settings changed starts afresh (a new profile, a new options pointer); the
//   others keep their history. Profiles are kept by value, so an unchanged one keeps its pointer
//   across assignments.
// - Until the first assignment (an agent that just started) nothing is followed; the report
//   says generation 0 and the controller sends the assignment again.
// - A runtime's heap cap read without the process's environment is judged as the controller
//   would (sources::judgeRuntimeCap), with the assigned container's runtimeOptionsInSpec.
//
// Thread-safe: observe() from the sampling thread, the rest from the server's workers.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "controllers/agent/agent_sample.h"
#include "controllers/agent/node_agent.h"
#include "controllers/reconcile/detection_wire.h"
#include "controllers/reconcile/usage_hub.h"
#include "operator/util/clock.h"

namespace lg::reconcile {

struct NodeDetectorOptions {
  std::string node;
  std::string epoch;  // the agent's (NodeAgent::epoch)
  double historySeconds = 6 * 3600.0;
  double findingTtlSeconds = 1800;
  std::size_t maxSeries = 0;  // 0: no bound beyond what is assigned
};

class NodeDetector {
 public:
  NodeDetector(Clock& clock, NodeDetectorOptions opts);

  // One sample of the agent's; judged if its series is assigned.
  void observe(const agent::AgentSample& s);
  // POST /v1/detection: takes the assignment if the request carries one, then reports.
  DetectionReport handle(const DetectionRequest& req);
  // GET /v1/series.
  SeriesReading series(const SeriesKey& key, bool withHistory) const;
  // GET /v1/sizing.
  std::optional<detect::SizingSeries> sizing(const SeriesKey& key,
                                             const detect::SizingOptions& opts) const {
    return hub_.sizingSeries(key, opts);
  }

  std::uint64_t generation() const;
  std::size_t seriesCount() const { return hub_.seriesCount(); }
  std::size_t memoryBytes() const { return hub_.memoryBytes(); }

 private:
  std::shared_ptr<const detect::DetectorOptions> optionsFor(const UsageSample& s) const;
  const AssignedContainer* assigned(const std::string& podUid, const std::string& container) const;
  void assign(std::uint64_t generation, const DetectionAssignment& a);

  Clock& clock_;
  const NodeDetectorOptions opts_;
  std::mutex assignMu_;  // one assignment at a time, the hub's series trimmed with it
  mutable std::mutex mu_;
  std::uint64_t generation_ = 0;
  std::map<std::string, AssignedPod> pods_;  // by uid
  std::vector<std::shared_ptr<const detect::DetectorOptions>> profiles_;
  std::map<DetectionProfile, std::shared_ptr<const detect::DetectorOptions>> byValue_;
  double lastSweep_ = 0;
  UsageHub hub_;
};

// The agent's detection routes for NodeAgent::registerRoutes: POST /v1/detection (400 with the
// reason for a body it cannot use), GET /v1/series and GET /v1/sizing (400 without pod,
// container and a known resource; /v1/sizing also wants minHistory in seconds). `metrics`, when
// given, gets leakguard_agent_detection_series (series followed) and
// leakguard_agent_detection_generation (the assignment followed).
std::vector<agent::AgentRoute> detectionRoutes(NodeDetector& detector,
                                               runtime::MetricsRegistry* metrics);

}  // namespace lg::reconcile
