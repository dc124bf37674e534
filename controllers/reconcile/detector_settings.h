#pragma once
// Detector settings per LeakPolicy: one shared DetectorOptions per (policy, generation), so
// every series of a policy shares one copy and a spec change yields a new pointer (which makes
// the UsageHub judge those series afresh). Thread-safe.

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

 private:
  struct Entry {
    int64_t generation = -1;
    std::shared_ptr<const detect::DetectorOptions> opts;
  };
  std::mutex mu_;
  std::map<std::string, Entry> byPolicy_;
};

}  // namespace lg::reconcile
