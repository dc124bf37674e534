#pragma once
// Detector settings per LeakPolicy: one shared DetectorOptions per policy uid, so every series of
// a policy shares one copy, and a new pointer only when spec.detection changes (which makes the
// UsageHub judge those series afresh, from an empty history). An edit elsewhere in the spec (the
// playbook, the sizing) keeps the pointer, the detectors and the history sizing reads. Keyed by
// uid, not name: a policy deleted and created again under its old name starts at generation 1 again
// and must not get the old settings. Entries of deleted policies are forgotten on the delete event
// (a re-list after a disconnection emits deletes for the policies gone meanwhile). Thread-safe.

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "controllers/detect/detector_options.h"
#include "controllers/reconcile/cached_objects.h"

namespace lg::reconcile {

class DetectorSettings {
 public:
  std::shared_ptr<const detect::DetectorOptions> forPolicy(const PolicyObject& p);
  void forget(const std::string& uid);
  std::size_t size() const;

 private:
  struct Entry {
    policy::Detection detection;  // what opts was made from
    std::shared_ptr<const detect::DetectorOptions> opts;
  };
  mutable std::mutex mu_;
  std::map<std::string, Entry> byUid_;
};

}  // namespace lg::reconcile
