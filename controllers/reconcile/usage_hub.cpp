#include "controllers/reconcile/usage_hub.h"

#include <cmath>

#include "controllers/agent/pod_cgroup_path.h"
#include "operator/kube/quantity.h"

namespace lg::reconcile {

bool differentContainer(std::string_view a, std::string_view b) {
  return !a.empty() && !b.empty() && agent::stripRuntimeScheme(a) != agent::stripRuntimeScheme(b);
}

namespace {

constexpr std::size_t kMaxRestarts = 32;
// A finding from the lives before is renewed at most this often (one per sample would count
// and enqueue every 10 s for nothing new).
constexpr double kLifeFindingEverySeconds = 60;

// Memory is kept at 64 KiB resolution (far below any scrape's noise); counts exactly.
double quantumFor(detect::Resource r) {
  return r == detect::Resource::kMemory ? 65536 : 1;
}

}  // namespace

UsageHub::UsageHub(UsageHubOptions opts) : opts_(std::move(opts)) {
  if (!opts_.optionsFor) {
    auto defaults = detect::LeakDetector::defaultOptions();
    opts_.optionsFor = [defaults](const UsageSample&) { return defaults; };
  }
}

void UsageHub::onFinding(FindingCallback cb) {
  std::lock_guard lock(mu_);
  callbacks_.push_back(std::move(cb));
}

bool UsageHub::ingest(const UsageSample& s) {
  if (!std::isfinite(s.time) || !std::isfinite(s.value) || s.podUid.empty()) return false;
  const SeriesKey key{s.podUid, s.container, s.resource};
  // Outside the lock: it may consult caches that take their own locks.
  auto detectorOpts = opts_.optionsFor(s);
  if (!detectorOpts) return false;
  std::optional<detect::Finding> raised;
  SeriesView snapshot;
  std::vector<FindingCallback> callbacks;
  {
    std::lock_guard lock(mu_);
    auto it = series_.find(key);
    if (it == series_.end()) {
      if (opts_.maxSeries > 0 && series_.size() >= opts_.maxSeries) {
        ++refused_;
        return false;
      }
      it = series_.emplace(key, nullptr).first;
    }
    auto& slot = it->second;
    if (!slot || slot->opts != detectorOpts) {
      // New, or the policy's detection settings changed: judge afresh under the new ones.
      SeriesView kept = slot ? slot->view : SeriesView{};
      slot = std::make_unique<Series>(detectorOpts, quantumFor(s.resource), opts_.historySeconds);
      slot->view.restartTimes = kept.restartTimes;
    }
    Series& se = *slot;
    SeriesView& v = se.view;

    if (s.source == Source::kAgent) {
      if (v.source != Source::kAgent && v.lastSampleTime > 0) {
        // The agent's signal (anon+shmem) replaces metrics-server's working set: start afresh.
        startAfresh(se, s.resource);
      }
      se.lastAgentTime = s.time;
      v.source = Source::kAgent;
    } else if (v.source == Source::kAgent) {
      if (s.time - se.lastAgentTime < opts_.agentStaleSeconds) return false;
      startAfresh(se, s.resource);
      v.source = Source::kMetricsServer;
    }
    if (v.lastSampleTime > 0 && s.time <= v.lastSampleTime) return false;

    if (differentContainer(s.containerId, v.containerId)) {
      se.detector.reset();
      se.runtimeLine.reset();
      se.lives.endLife();
      v.finding.reset();
      v.restartTimes.push_back(s.time);
      if (v.restartTimes.size() > kMaxRestarts) v.restartTimes.erase(v.restartTimes.begin());
    }
    if (!s.containerId.empty()) v.containerId = s.containerId;
    v.ns = s.ns;
    v.pod = s.pod;
    v.container = s.container;
    v.resource = s.resource;
    v.lastSampleTime = s.time;
    v.lastValue = s.value;
    if (s.limit > 0) v.limit = s.limit;
    se.samples.append(s.time, s.value);
    const double line = lineFor(se, s, v.limit);
    raised = se.detector.add(s.time, s.value, line);
    se.lives.add(s.time, s.value, line);
    if (!raised && s.time - se.lastLifeFinding >= kLifeFindingEverySeconds) {
      raised = se.lives.judge();
      if (raised) se.lastLifeFinding = s.time;
    }
    if (raised) {
      v.finding = raised;
      snapshot = v;
      callbacks = callbacks_;
    }
  }
  if (raised)
    for (const auto& cb : callbacks)
      cb(key, snapshot, *raised);
  return true;
}

void UsageHub::startAfresh(Series& se, detect::Resource r) const {
  se.detector.reset();
  se.samples = detect::CompressedSeries(
      {.quantum = quantumFor(r), .retentionSeconds = opts_.historySeconds});
  se.runtimeLine.reset();
  se.lives.clear();
  se.view.finding.reset();
  se.view.lastSampleTime = 0;
}

double UsageHub::lineFor(Series& se, const UsageSample& s, double limit) {
  SeriesView& v = se.view;
  const double line = s.runtimeHeapMax > 0 && s.resource == detect::Resource::kMemory
                          ? se.runtimeLine.add(s.time, s.value, s.runtimeHeapMax)
                          : 0;
  if (line <= 0 || (limit > 0 && line >= limit)) {
    v.line = 0;
    v.lineName.clear();
    return limit;
  }
  if (line != v.line) {
    v.line = line;
    v.lineName = "the " + s.runtime + " heap max, " + kube::formatBytes(s.runtimeHeapMax) + " (" +
                 s.runtimeHeapSetBy + "), plus " + kube::formatBytes(se.runtimeLine.outsideHeap()) +
                 " outside the heap";
  }
  return line;
}

std::optional<SeriesView> UsageHub::view(const SeriesKey& key) const {
  std::lock_guard lock(mu_);
  auto it = series_.find(key);
  if (it == series_.end()) return std::nullopt;
  return it->second->view;
}

std::vector<std::pair<SeriesKey, SeriesView>> UsageHub::currentFindings(const std::string& podUid,
                                                                        double now) const {
  std::vector<std::pair<SeriesKey, SeriesView>> out;
  std::lock_guard lock(mu_);
  for (auto it = series_.lower_bound(SeriesKey{podUid, "", detect::Resource::kMemory});
       it != series_.end() && it->first.podUid == podUid; ++it) {
    const SeriesView& v = it->second->view;
    if (v.finding && now - v.finding->time <= opts_.findingTtlSeconds)
      out.emplace_back(it->first, v);
  }
  return out;
}

std::optional<double> UsageHub::lastSampleTime(const std::string& podUid) const {
  std::optional<double> newest;
  std::lock_guard lock(mu_);
  for (auto it = series_.lower_bound(SeriesKey{podUid, "", detect::Resource::kMemory});
       it != series_.end() && it->first.podUid == podUid; ++it) {
    const double t = it->second->view.lastSampleTime;
    if (t > 0 && (!newest || t > *newest)) newest = t;
  }
  return newest;
}

std::vector<std::pair<double, double>> UsageHub::history(const SeriesKey& key) const {
  std::lock_guard lock(mu_);
  auto it = series_.find(key);
  if (it == series_.end()) return {};
  return it->second->samples.samples();
}

std::vector<std::string> UsageHub::podUids() const {
  std::vector<std::string> out;
  std::lock_guard lock(mu_);
  for (const auto& [k, s] : series_)
    if (out.empty() || out.back() != k.podUid) out.push_back(k.podUid);
  return out;
}

void UsageHub::forgetPod(const std::string& podUid) {
  std::lock_guard lock(mu_);
  auto it = series_.lower_bound(SeriesKey{podUid, "", detect::Resource::kMemory});
  while (it != series_.end() && it->first.podUid == podUid)
    it = series_.erase(it);
}

std::size_t UsageHub::forgetIdle(double before) {
  std::lock_guard lock(mu_);
  std::size_t n = 0;
  for (auto it = series_.begin(); it != series_.end();) {
    if (it->second->view.lastSampleTime < before) {
      it = series_.erase(it);
      ++n;
    } else {
      ++it;
    }
  }
  return n;
}

std::size_t UsageHub::forgetIf(const std::function<bool(const SeriesKey&)>& drop) {
  std::lock_guard lock(mu_);
  return std::erase_if(series_, [&](const auto& kv) { return drop(kv.first); });
}

std::size_t UsageHub::seriesCount() const {
  std::lock_guard lock(mu_);
  return series_.size();
}

std::uint64_t UsageHub::refusedSamples() const {
  std::lock_guard lock(mu_);
  return refused_;
}

std::size_t UsageHub::memoryBytes() const {
  std::lock_guard lock(mu_);
  std::size_t b = 0;
  for (const auto& [k, s] : series_) {
    b += sizeof(k) + k.podUid.capacity() + k.container.capacity() + sizeof(Series) +
         s->samples.memoryBytes() + s->view.ns.capacity() + s->view.pod.capacity() +
         s->view.containerId.capacity() + 64;  // map node overhead
  }
  return b;
}

}  // namespace lg::reconcile
