#pragma once
// The runtime's own metrics, registered once per MetricsRegistry:
//   leakguard_reconcile_total{controller,result}        counter; result: success, requeue,
//                                                         error, terminal_error
//   leakguard_reconcile_duration_seconds{controller}    histogram
//   leakguard_watch_restarts_total{resource}            counter: re-watches after the first
//   leakguard_watch_relists_total{resource}             counter: full re-lists after the first
//   leakguard_watch_events_total{resource}              counter: added/modified/deleted events
//   leakguard_cache_objects{resource}                   gauge: objects an informer holds
//   leakguard_workqueue_depth{name}                     gauge
//   leakguard_workqueue_adds_total{name}                counter
//   leakguard_workqueue_retries_total{name}             counter: rate-limited re-adds
//   leakguard_workqueue_queue_duration_seconds{name}    histogram: add -> get
//   leakguard_workqueue_work_duration_seconds{name}     histogram: get -> done
//   leakguard_leader                                    gauge 0/1
//
// Thread-safe (the families are). Holds references into the registry, which must outlive it.

#include "operator/runtime/metrics_registry.h"

namespace lg::runtime {

class RuntimeMetrics {
 public:
  explicit RuntimeMetrics(MetricsRegistry& registry);

  MetricsRegistry& registry;
  CounterFamily& reconcileTotal;
  HistogramFamily& reconcileDuration;
  CounterFamily& watchRestarts;
  CounterFamily& watchRelists;
  CounterFamily& watchEvents;
  GaugeFamily& cacheObjects;
  GaugeFamily& workqueueDepth;
  CounterFamily& workqueueAdds;
  CounterFamily& workqueueRetries;
  HistogramFamily& workqueueQueueDuration;
  HistogramFamily& workqueueWorkDuration;
  Gauge& leader;
};

}  // namespace lg::runtime
