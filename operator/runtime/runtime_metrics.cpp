#include "operator/runtime/runtime_metrics.h"

namespace lg::runtime {

RuntimeMetrics::RuntimeMetrics(MetricsRegistry& r)
    : registry(r),
      reconcileTotal(r.counter("leakguard_reconcile_total",
                               "Reconciles by controller and outcome (success, requeue, error, "
                               "terminal_error).",
                               {"controller", "result"})),
      reconcileDuration(r.histogram("leakguard_reconcile_duration_seconds",
                                    "Time spent in one reconcile.", {"controller"})),
      watchRestarts(r.counter("leakguard_watch_restarts_total",
                              "Watches re-established after the first (stream ended, broke, "
                              "went idle or expired).",
                              {"resource"})),
      watchRelists(r.counter("leakguard_watch_relists_total",
                             "Full re-lists after the first (410 Gone or a failed list).",
                             {"resource"})),
      watchEvents(r.counter("leakguard_watch_events_total",
                            "Watch events (added, modified, deleted) delivered to the cache.",
                            {"resource"})),
      cacheObjects(r.gauge("leakguard_cache_objects",
                           "Objects an informer's cache holds (after its filter).", {"resource"})),
      workqueueDepth(
          r.gauge("leakguard_workqueue_depth", "Keys waiting in the work queue.", {"name"})),
      workqueueAdds(r.counter("leakguard_workqueue_adds_total",
                              "Keys added to the work queue (after de-duplication).", {"name"})),
      workqueueRetries(r.counter("leakguard_workqueue_retries_total",
                                 "Rate-limited re-adds of keys whose reconcile failed.", {"name"})),
      workqueueQueueDuration(r.histogram("leakguard_workqueue_queue_duration_seconds",
                                         "Time a key waited in the queue before a worker took it.",
                                         {"name"})),
      workqueueWorkDuration(r.histogram("leakguard_workqueue_work_duration_seconds",
                                        "Time from a worker taking a key to done().", {"name"})),
      leader(
          r.gauge("leakguard_leader", "1 while this replica holds the leader lease.").labels({})) {}

}  // namespace lg::runtime
