#include "controllers/reconcile/detector_settings.h"

namespace lg::reconcile {

std::shared_ptr<const detect::DetectorOptions> DetectorSettings::forPolicy(const PolicyObject& p) {
  std::lock_guard lock(mu_);
  Entry& e = byPolicy_[p.key()];
  if (!e.opts || e.generation != p.generation) {
    const auto& d = p.parsed.spec.detection;
    e.opts = std::make_shared<const detect::DetectorOptions>(
        detect::DetectorOptions::forPolicy(d.margin, d.horizonSeconds, d.minGrowthSeconds));
    e.generation = p.generation;
  }
  return e.opts;
}

}  // namespace lg::reconcile
