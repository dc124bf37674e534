#pragma once
// Replays a trace through one LeakDetector per resource, in time order, exactly as the operator
// feeds live samples: this is what `leakguard analyze` scores.

#include <array>
#include <optional>
#include <string_view>

#include "controllers/detect/detector_options.h"
#include "controllers/detect/finding.h"
#include "controllers/detect/resource.h"
#include "controllers/detect/trace_reader.h"

namespace lg::detect {

struct ReplayResult {
  struct PerResource {
    bool present = false;  // the trace carries this resource with a limit
    std::size_t samples = 0;
    std::optional<Finding> first;  // first finding raised
    int resets = 0;
  };
  std::array<PerResource, 3> resources;
  // The resource whose first finding came earliest, if any.
  std::optional<Resource> firstResource;
  std::string_view memorySignal;  // "anon" or "working_set"
};

ReplayResult replayTrace(const Trace& trace, const DetectorOptions& opts = {});

}  // namespace lg::detect
