#pragma once
// UsageSource: what every source of container usage implements (MetricsServerSource,
// AgentSource). It runs under the Manager as a Runnable of every replica (a new leader starts
// with warm detectors), polls on a thread of its own and hands UsageSamples to the UsageSink it
// was made with. A new source implements this and is added to the manager in the controller's
// wiring; nothing else changes (ARCHITECTURE.md, "Adding a usage source").

#include "controllers/sources/usage_sample.h"
#include "operator/runtime/runnable.h"

namespace lg::sources {

class UsageSource : public runtime::Runnable {
 public:
  // One round, synchronously: what the source's loop does every interval (tests call it).
  virtual void pollOnce() = 0;
};

}  // namespace lg::sources
