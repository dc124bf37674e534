#include "operator/runtime/controller.h"

#include <exception>

#include "operator/runtime/runtime_metrics.h"
#include "operator/util/logger.h"

namespace lg::runtime {

namespace {
WorkQueueOptions queueOptions(const ControllerOptions& o) {
  return WorkQueueOptions{.name = o.name,
                          .baseDelay = o.baseDelay,
                          .maxDelay = o.maxDelay,
                          .qps = o.qps,
                          .burst = o.burst,
                          .metrics = o.metrics};
}
}  // namespace

Controller::Controller(Clock& clock, Reconciler& reconciler, ControllerOptions opts)
    : clock_(clock),
      reconciler_(reconciler),
      opts_(std::move(opts)),
      queue_(clock, queueOptions(opts_)) {
  if (opts_.workers < 1) opts_.workers = 1;
  if (auto* m = opts_.metrics) {
    success_ = &m->reconcileTotal.labels({opts_.name, "success"});
    requeue_ = &m->reconcileTotal.labels({opts_.name, "requeue"});
    error_ = &m->reconcileTotal.labels({opts_.name, "error"});
    terminalError_ = &m->reconcileTotal.labels({opts_.name, "terminal_error"});
    duration_ = &m->reconcileDuration.labels({opts_.name});
  }
}

Controller::~Controller() {
  stop();
}

void Controller::start() {
  if (queue_.shuttingDown() || running_.exchange(true)) return;
  LG_LOG(info, "controller starting", {{"controller", opts_.name}, {"workers", opts_.workers}});
  for (int i = 0; i < opts_.workers; ++i)
    workers_.emplace_back([this] { worker(); });
}

void Controller::stop() {
  queue_.shutdown();
  for (auto& t : workers_)
    if (t.joinable()) t.join();
  workers_.clear();
  if (running_.exchange(false)) LG_LOG(info, "controller stopped", {{"controller", opts_.name}});
}

void Controller::worker() {
  while (auto key = queue_.get()) {
    processOne(*key);
    queue_.done(*key);
  }
}

void Controller::processOne(const std::string& key) {
  const auto t0 = clock_.steadyNow();
  ReconcileResult r;
  try {
    r = reconciler_.reconcile(key);
  } catch (const std::exception& e) {
    r = ReconcileResult::retry(makeError(std::string("reconcile threw: ") + e.what()));
  } catch (...) {
    r = ReconcileResult::retry(makeError("reconcile threw a non-exception"));
  }
  const double secs = std::chrono::duration<double>(clock_.steadyNow() - t0).count();
  if (duration_) duration_->observe(secs);
  reconciles_.fetch_add(1);

  switch (r.kind) {
    case ReconcileResult::Kind::kOk:
      queue_.forget(key);
      if (r.requeueAfter) {
        queue_.addAfter(key, *r.requeueAfter);
        if (requeue_) requeue_->inc();
      } else if (success_) {
        success_->inc();
      }
      break;
    case ReconcileResult::Kind::kRetryableError: {
      errors_.fetch_add(1);
      if (error_) error_->inc();
      const auto delay = queue_.addRateLimited(key);
      LG_LOG(warn, "reconcile failed, will retry",
             {{"controller", opts_.name},
              {"key", key},
              {"error", r.error.message},
              {"code", r.error.code},
              {"attempt", queue_.numRequeues(key)},
              {"retryInMs", std::chrono::duration_cast<std::chrono::milliseconds>(delay).count()}});
      break;
    }
    case ReconcileResult::Kind::kTerminalError:
      terminal_.fetch_add(1);
      if (terminalError_) terminalError_->inc();
      queue_.forget(key);
      LG_LOG(error, "reconcile failed terminally, not retrying",
             {{"controller", opts_.name},
              {"key", key},
              {"error", r.error.message},
              {"code", r.error.code}});
      break;
  }
}

}  // namespace lg::runtime
