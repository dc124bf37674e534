#pragma once
// UsageReader: what the reconcilers read of the containers' series, wherever they are judged:
// in the controller's own UsageHub, or on the node agents that detect (AgentDetection), or both
// (CombinedUsage). Implementations are thread-safe.

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "controllers/detect/memory_sizing.h"
#include "controllers/reconcile/series_view.h"

namespace lg::reconcile {

class UsageReader {
 public:
  virtual ~UsageReader() = default;
  // The series, if known.
  virtual std::optional<SeriesView> view(const SeriesKey& key) const = 0;
  // Current findings (confirmed within the findings' time to live of `now`) for a pod.
  virtual std::vector<std::pair<SeriesKey, SeriesView>> currentFindings(const std::string& podUid,
                                                                        double now) const = 0;
  // When the newest sample of any of a pod's series was taken; nullopt if it has none.
  virtual std::optional<double> lastSampleTime(const std::string& podUid) const = 0;
  // Samples of a series' history, oldest first (for incidents' evidence, `explain`, sizing).
  virtual std::vector<std::pair<double, double>> history(const SeriesKey& key) const = 0;
  // The current container's part of a series (since its last restart: what the one before it
  // reached is not its size), summarized for sizing (detect::summarizeForSizing); nullopt when
  // it has no samples. By default from view() and history(); a reader whose series are
  // elsewhere asks for the summary instead of the samples.
  virtual std::optional<detect::SizingSeries> sizingSeries(const SeriesKey& key,
                                                           const detect::SizingOptions& opts) const;
};

}  // namespace lg::reconcile
