#pragma once
// Detector settings per LeakPolicy: one shared DetectorOptions per (policy uid, generation), so
// every series of a policy shares one copy and a spec change yields a new pointer (which makes
// the UsageHub judge those series afresh). Keyed by uid, not name: a policy deleted and created
// again under its old name starts at generation 1 again and must not get the old settings.
// Entries of deleted policies are forgotten on the delete event (a re-list after a disconnection
// emits deletes for the policies gone meanwhile). Thread-safe.

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
    int64_t generation = -1;
    std::shared_ptr<const detect::DetectorOptions> opts;
  };
  mutable std::mutex mu_;
  std::map<std::string, Entry> byUid_;
};

}  // namespace lg::reconcile
