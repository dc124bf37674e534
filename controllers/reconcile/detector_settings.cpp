#include "controllers/reconcile/detector_settings.h"

namespace lg::reconcile {

std::shared_ptr<const detect::DetectorOptions> DetectorSettings::forPolicy(const PolicyObject& p) {
  std::lock_guard lock(mu_);
  // An object from the API server always has a uid; the key keeps one without apart anyway.
  Entry& e = byUid_[p.uid.empty() ? "name:" + p.key() : p.uid];
  const auto& d = p.parsed.spec.detection;
  if (!e.opts || e.detection != d) {
    e.opts = std::make_shared<const detect::DetectorOptions>(
        detect::DetectorOptions::forPolicy(d.margin, d.horizonSeconds, d.minGrowthSeconds));
    e.detection = d;
  }
  return e.opts;
}

void DetectorSettings::forget(const std::string& uid) {
  std::lock_guard lock(mu_);
  byUid_.erase(uid);
}

std::size_t DetectorSettings::size() const {
  std::lock_guard lock(mu_);
  return byUid_.size();
}

}  // namespace lg::reconcile
