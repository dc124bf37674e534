#pragma once
// SeriesKey and SeriesView: one followed series (pod, container, resource) and what is known of
// it, as the UsageHub keeps it and the reconcilers read it (reconcile/usage_reader.h).

#include <optional>
#include <string>
#include <vector>

#include "controllers/detect/finding.h"
#include "controllers/detect/resource.h"
#include "controllers/sources/usage_sample.h"

namespace lg::reconcile {

using sources::Source;

struct SeriesKey {
  std::string podUid;
  std::string container;
  detect::Resource resource;
  auto operator<=>(const SeriesKey&) const = default;
};

struct SeriesView {
  std::string ns, pod, container, containerId;
  detect::Resource resource = detect::Resource::kMemory;
  Source source = Source::kMetricsServer;
  std::optional<detect::Finding> finding;  // latest, if any, for the current container
  double lastSampleTime = 0;
  double lastValue = 0;
  double limit = 0;
  // When the container's runtime dies of its own heap cap before the limit: the line its
  // memory approaches (detect::RuntimeLine), which the detector is given instead of the limit,
  // and what it is ("the JVM's heap max, 128Mi (-Xmx128m), plus 42.6Mi outside the heap").
  // 0 and "": the limit is the line.
  double line = 0;
  std::string lineName;
  std::vector<double> restartTimes;  // container restarts seen, oldest first (last 32)
};

}  // namespace lg::reconcile
