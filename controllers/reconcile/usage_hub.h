#pragma once
// UsageHub: one detector and one compressed history per (pod, container, resource), fed by the
// usage sources (metrics-server, node agents) and read by the reconcilers.
//
// - Memory prefers the node agent's anon+shmem signal: once agent samples arrive for a
//   container, metrics-server's working set is ignored for it until the agent has been silent
//   for agentStaleSeconds (then the detector starts afresh on the working set).
// - A new container id (the container restarted) resets the detector: a new process starts
//   from nothing. The restart is remembered (restartTimes) for playbook conditions such as
//   "restartsAtLeast 3 within 2h", and so is the last finding before it. The lives before it
//   are kept (detect::LifeHistory): a container that grew and died at its line in each of its
//   last lives is found in its next one, even when no life is long enough for the detector.
// - A sample older than the last one of its series is ignored (sources re-deliver).
// - At most maxSeries series are followed: each costs 6-7 KB (BENCHMARKS.md, "At scale:
//   detection"), and a controller over its memory limit would lose them all, again and again.
//   Beyond it, a new series' samples are refused and counted (refusedSamples); the series
//   followed already go on, and a slot freed by a pod that went away is taken by the next. A
//   pod none of whose series is followed has no lastSampleTime: it counts as unobserved.
// - Memory of a JVM or Node.js process with a known heap cap (agent samples) is judged against
//   the line where that runtime dies (detect::RuntimeLine) when it is below the limit.
//
// Thread-safe: one mutex; sources and reconcilers call from their own threads. Callbacks are
// invoked without the lock held.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controllers/detect/compressed_series.h"
#include "controllers/detect/detector_options.h"
#include "controllers/detect/finding.h"
#include "controllers/detect/leak_detector.h"
#include "controllers/detect/life_history.h"
#include "controllers/detect/resource.h"
#include "controllers/detect/runtime_line.h"
#include "controllers/reconcile/usage_reader.h"
#include "controllers/sources/usage_sample.h"

namespace lg::reconcile {

// The sources' sample type (sources/usage_sample.h), as the hub takes it.
using sources::UsageSample;

struct UsageHubOptions {
  // Detector settings for a sample's series; nullptr: no policy covers the pod, do not track
  // it (only covered pods cost memory). The same settings must come back as the same pointer;
  // a different pointer (the policy's detection settings changed) starts the series afresh.
  std::function<std::shared_ptr<const detect::DetectorOptions>(const UsageSample&)> optionsFor;
  double agentStaleSeconds = 300;
  double historySeconds = 6 * 3600.0;
  // A finding counts as current until this long after its last confirmation.
  double findingTtlSeconds = 1800;
  // The most series followed at once; 0: no bound.
  std::size_t maxSeries = 0;
};

// Whether two container ids name another instance: both known and different once a runtime
// scheme is set aside ("containerd://<id>" from the API and metrics-server, a bare "<id>" from
// an agent that lists pods from the kubelet's log links).
bool differentContainer(std::string_view a, std::string_view b);

class UsageHub final : public UsageReader {
 public:
  using FindingCallback =
      std::function<void(const SeriesKey&, const SeriesView&, const detect::Finding&)>;

  explicit UsageHub(UsageHubOptions opts = {});

  // Called (outside the lock) whenever a sample raises a finding.
  void onFinding(FindingCallback cb);

  // Feeds one sample; returns true if it was stored (not stale, not superseded by the agent).
  bool ingest(const UsageSample& s);

  // UsageReader; current findings are those confirmed within findingTtlSeconds of `now`.
  std::optional<SeriesView> view(const SeriesKey& key) const override;
  std::vector<std::pair<SeriesKey, SeriesView>> currentFindings(const std::string& podUid,
                                                                double now) const override;
  std::optional<double> lastSampleTime(const std::string& podUid) const override;
  std::vector<std::pair<double, double>> history(const SeriesKey& key) const override;
  // The uids of the pods that have series (the agents' reports).
  std::vector<std::string> podUids() const;

  // Drops every series of a pod (it was deleted).
  void forgetPod(const std::string& podUid);
  // Drops series that saw no sample since `before` (pods gone without a delete event).
  std::size_t forgetIdle(double before);
  // Drops the series `drop` says to (no longer assigned); how many.
  std::size_t forgetIf(const std::function<bool(const SeriesKey&)>& drop);

  std::size_t seriesCount() const;
  std::size_t memoryBytes() const;
  // Samples refused since start because maxSeries series were followed already.
  std::uint64_t refusedSamples() const;

 private:
  struct Series {
    explicit Series(std::shared_ptr<const detect::DetectorOptions> o, double quantum,
                    double history)
        : opts(std::move(o)),
          detector(opts),
          samples({.quantum = quantum, .retentionSeconds = history}) {}
    std::shared_ptr<const detect::DetectorOptions> opts;
    detect::LeakDetector detector;
    detect::CompressedSeries samples;
    SeriesView view;
    double lastAgentTime = 0;
    detect::RuntimeLine runtimeLine;
    detect::LifeHistory lives;
    double lastLifeFinding = 0;  // when `lives` last raised a finding
  };
  // Another source's signal: the series' detector, history and lives start over.
  void startAfresh(Series& se, detect::Resource r) const;
  // The line to judge a sample against: the limit, or the runtime's line when lower.
  static double lineFor(Series& se, const UsageSample& s, double limit);

  UsageHubOptions opts_;
  mutable std::mutex mu_;
  std::map<SeriesKey, std::unique_ptr<Series>> series_;
  std::uint64_t refused_ = 0;
  std::vector<FindingCallback> callbacks_;
};

}  // namespace lg::reconcile
