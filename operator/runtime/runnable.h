#pragma once
// Runnable: something long-running that the Manager starts and stops with the rest (a usage
// source, the agent-facing server, a periodic flusher), so that nothing is started or stopped by
// hand around Manager::run().
//
// The Manager starts every Runnable once its informers are started: those that need leadership
// once this replica leads and its caches synced (with the controllers), the others at once. It
// stops them in the reverse order of adding: the leader-only ones right after the controllers
// (before the Lease is released), the others after leader election, before the informers.
//
// Thread safety: start() and stop() are called from the Manager's thread, each at most once,
// stop() only after a start() that succeeded.

#include <string>

#include "operator/util/result.h"

namespace lg::runtime {

class Runnable {
 public:
  virtual ~Runnable() = default;
  // For logs and errors: "metrics-server source".
  virtual std::string name() const = 0;
  // Starts its threads and returns. An error stops Manager::run() with that error.
  virtual Status start() = 0;
  // Stops and joins its threads; what it holds back (buffered Events) is written out first.
  virtual void stop() = 0;
  // Whether it acts for the whole install (only the leader) rather than for its replica.
  virtual bool needsLeadership() const { return false; }
};

}  // namespace lg::runtime
