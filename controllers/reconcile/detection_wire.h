#pragma once
// The wire between the controller and the node agents that detect (ARCHITECTURE.md, "Where
// detection runs"): what the controller assigns an agent, what the agent reports back, and a
// series read on demand. JSON both ways, over the agent's authenticated HTTPS routes:
//
//   POST /v1/detection   body: a DetectionRequest; answer: a DetectionReport
//     {"generation":7}                                   keep the assignment of generation 7
//     {"generation":8,"profiles":[{"margin":10,"horizonSeconds":604800,"minGrowthSeconds":3600}],
//      "pods":[{"uid":"..","containers":[{"name":"app","memory":0,"fds":0,"threads":null,
//                                         "runtimeOptionsInSpec":false}]}]}
//                                                        follow these series from now on
//     Each resource of a container names the index of the profile (the judging policy's
//     detection settings) it is judged by, or null: not followed.
//   answer: {"node":..,"epoch":..,"generation":8,"time":..,
//            "pods":[{"uid":..,"lastSample":..}],
//            "findings":[{"podUid":..,"container":..,"resource":"memory","view":{<SeriesView>}}]}
//   GET /v1/series?pod=<uid>&container=<name>&resource=<memory|fds|threads>[&history=1]
//     {"view":{<SeriesView>}|null,"history":[[t,v],..]}
//   GET /v1/sizing?pod=<uid>&container=<name>&resource=memory&minHistory=<seconds>
//     {"series":{"shape":"steady","spanSeconds":..,"settledFrom":..,"settled":[[value,count],..]}
//               |null}   (detect::SizingSeries: what sizing reads instead of the samples)
//
// Parsing refuses what it cannot use with an error that names the field; numbers that are not
// finite, negative counts and out-of-range profile indices are refused, never trusted.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "controllers/detect/memory_sizing.h"
#include "controllers/reconcile/series_view.h"
#include "operator/util/result.h"

namespace lg::reconcile {

// The detection settings a LeakPolicy controls (detect::DetectorOptions::forPolicy).
struct DetectionProfile {
  double margin = 10;
  double horizonSeconds = 7 * 86400.0;
  double minGrowthSeconds = 3600;
  auto operator<=>(const DetectionProfile&) const = default;
};

struct AssignedContainer {
  std::string name;
  // Per resource (detect::Resource's order): the profile's index, or -1: not followed.
  std::array<int, 3> profile{-1, -1, -1};
  // Whether the container's spec may set a runtime's heap options in its environment
  // (sources::judgeRuntimeCap): a cap read without the environment is believed only if not.
  bool runtimeOptionsInSpec = true;
  bool operator==(const AssignedContainer&) const = default;
};

struct AssignedPod {
  std::string uid;
  std::vector<AssignedContainer> containers;
  bool operator==(const AssignedPod&) const = default;
};

struct DetectionAssignment {
  std::vector<DetectionProfile> profiles;
  std::vector<AssignedPod> pods;  // by uid, ascending
  bool operator==(const DetectionAssignment&) const = default;
};

struct DetectionRequest {
  std::uint64_t generation = 0;
  std::optional<DetectionAssignment> assignment;  // absent: keep the current one
};

struct ReportedPod {
  std::string uid;
  double lastSample = 0;
};

struct DetectionReport {
  std::string node;
  std::string epoch;             // the agent's; a new one: it restarted (and lost its series)
  std::uint64_t generation = 0;  // of the assignment it follows; 0: none
  double time = 0;               // the agent's clock when it answered
  std::vector<ReportedPod> pods;
  std::vector<std::pair<SeriesKey, SeriesView>> findings;
};

struct SeriesReading {
  std::optional<SeriesView> view;
  std::vector<std::pair<double, double>> history;
};

std::string toJson(const DetectionRequest& r);
Result<DetectionRequest> parseDetectionRequest(std::string_view body);
std::string toJson(const DetectionReport& r);
Result<DetectionReport> parseDetectionReport(std::string_view body);
std::string toJson(const SeriesReading& r);
Result<SeriesReading> parseSeriesReading(std::string_view body);

std::string toJson(const std::optional<detect::SizingSeries>& s);
Result<std::optional<detect::SizingSeries>> parseSizingReading(std::string_view body);
// The target of GET /v1/sizing for a key.
std::string sizingTarget(const SeriesKey& key, double minHistorySeconds);

// The target of GET /v1/series for a key.
std::string seriesTarget(const SeriesKey& key, bool withHistory);

}  // namespace lg::reconcile
