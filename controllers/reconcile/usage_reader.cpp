#include "controllers/reconcile/usage_reader.h"

#include <algorithm>

namespace lg::reconcile {

std::optional<detect::SizingSeries> UsageReader::sizingSeries(
    const SeriesKey& key, const detect::SizingOptions& opts) const {
  auto samples = history(key);
  if (const auto v = view(key); v && !v->restartTimes.empty())
    std::erase_if(samples,
                  [since = v->restartTimes.back()](const auto& s) { return s.first < since; });
  if (samples.empty()) return std::nullopt;
  return detect::summarizeForSizing(samples, opts);
}

}  // namespace lg::reconcile
