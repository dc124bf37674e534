#pragma once
// The contract between the Controller and the domain (house rule 1): reconcile(key) is
// level-triggered and idempotent. It re-reads the cached state for `key` and returns
//   ReconcileResult::done()                 nothing more to do
//   ReconcileResult::after(d)               look again after d (e.g. next sample due)
//   ReconcileResult::retry(error)           failed, try again with per-key backoff
//   ReconcileResult::terminal(error)        failed in a way retrying cannot fix; logged only
// A reconcile may be called from several worker threads at once, but never for the same key.

#include <chrono>
#include <optional>
#include <string>

#include "operator/util/result.h"

namespace lg::runtime {

struct ReconcileResult {
  enum class Kind { kOk, kRetryableError, kTerminalError };
  Kind kind = Kind::kOk;
  std::optional<std::chrono::nanoseconds> requeueAfter;  // kOk only
  Error error;                                           // the error kinds only

  static ReconcileResult done() { return {}; }
  static ReconcileResult after(std::chrono::nanoseconds d) { return {Kind::kOk, d, Error{}}; }
  static ReconcileResult retry(Error e) { return {Kind::kRetryableError, std::nullopt, e}; }
  static ReconcileResult terminal(Error e) { return {Kind::kTerminalError, std::nullopt, e}; }
  bool ok() const { return kind == Kind::kOk; }
};

class Reconciler {
 public:
  virtual ~Reconciler() = default;
  virtual ReconcileResult reconcile(const std::string& key) = 0;
};

}  // namespace lg::runtime
