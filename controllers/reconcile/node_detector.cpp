#include "controllers/reconcile/node_detector.h"

#include <cstdlib>
#include <set>

#include "controllers/sources/agent_source.h"

namespace lg::reconcile {

NodeDetector::NodeDetector(Clock& clock, NodeDetectorOptions opts)
    : clock_(clock),
      opts_(std::move(opts)),
      hub_({.optionsFor = [this](const UsageSample& s) { return optionsFor(s); },
            .historySeconds = opts_.historySeconds,
            .findingTtlSeconds = opts_.findingTtlSeconds,
            .maxSeries = opts_.maxSeries}) {}

const AssignedContainer* NodeDetector::assigned(const std::string& podUid,
                                                const std::string& container) const {
  auto pod = pods_.find(podUid);
  if (pod == pods_.end()) return nullptr;
  for (const auto& c : pod->second.containers)
    if (c.name == container) return &c;
  return nullptr;
}

std::shared_ptr<const detect::DetectorOptions> NodeDetector::optionsFor(
    const UsageSample& s) const {
  std::lock_guard lock(mu_);
  const AssignedContainer* c = assigned(s.podUid, s.container);
  if (!c) return nullptr;
  const int i = c->profile[static_cast<int>(s.resource)];
  return i >= 0 && static_cast<std::size_t>(i) < profiles_.size() ? profiles_[i] : nullptr;
}

void NodeDetector::observe(const agent::AgentSample& s) {
  if (!s.running || !s.id) return;
  bool optionsInSpec = true;
  {
    std::lock_guard lock(mu_);
    const AssignedContainer* c = assigned(s.id->podUid, s.id->container);
    if (!c) return;  // not assigned: not even converted
    optionsInSpec = c->runtimeOptionsInSpec;
  }
  for (auto u : sources::toUsageSamples(s)) {
    if (u.runtimeHeapMax > 0 && !s.data.processes.runtime->environRead)
      sources::judgeRuntimeCap(u, optionsInSpec);
    hub_.ingest(u);
  }
}

void NodeDetector::assign(std::uint64_t generation, const DetectionAssignment& a) {
  // Two requests at once (the controller's replicas): one assignment and its trim, then the
  // other, never the first's pods with the second's series.
  std::lock_guard whole(assignMu_);
  std::set<SeriesKey> keep;
  {
    std::lock_guard lock(mu_);
    std::vector<std::shared_ptr<const detect::DetectorOptions>> profiles;
    std::map<DetectionProfile, std::shared_ptr<const detect::DetectorOptions>> byValue;
    for (const auto& p : a.profiles) {
      auto it = byValue_.find(p);
      auto opts =
          it != byValue_.end()
              ? it->second
              : std::make_shared<const detect::DetectorOptions>(detect::DetectorOptions::forPolicy(
                    p.margin, p.horizonSeconds, p.minGrowthSeconds));
      byValue[p] = opts;
      profiles.push_back(std::move(opts));
    }
    profiles_ = std::move(profiles);
    byValue_ = std::move(byValue);
    pods_.clear();
    for (const auto& p : a.pods) {
      for (const auto& c : p.containers)
        for (detect::Resource r : detect::kAllResources)
          if (c.profile[static_cast<int>(r)] >= 0) keep.insert({p.uid, c.name, r});
      pods_[p.uid] = p;
    }
    generation_ = generation;
  }
  hub_.forgetIf([&keep](const SeriesKey& k) { return !keep.count(k); });
}

DetectionReport NodeDetector::handle(const DetectionRequest& req) {
  if (req.assignment) assign(req.generation, *req.assignment);
  const double now = toSeconds(clock_.now());
  DetectionReport r{.node = opts_.node, .epoch = opts_.epoch, .time = now};
  std::vector<std::string> uids;
  bool sweep = false;
  {
    std::lock_guard lock(mu_);
    r.generation = generation_;
    for (const auto& [uid, pod] : pods_)
      uids.push_back(uid);
    if (now - lastSweep_ > 600) {
      sweep = true;
      lastSweep_ = now;
    }
  }
  // Series of containers gone quiet (a container that stopped for good) age out.
  if (sweep) hub_.forgetIdle(now - opts_.historySeconds);
  for (const auto& uid : uids) {
    if (auto last = hub_.lastSampleTime(uid)) r.pods.push_back({uid, *last});
    for (auto& f : hub_.currentFindings(uid, now))
      r.findings.push_back(std::move(f));
  }
  return r;
}

SeriesReading NodeDetector::series(const SeriesKey& key, bool withHistory) const {
  SeriesReading r{.view = hub_.view(key)};
  if (withHistory && r.view) r.history = hub_.history(key);
  return r;
}

std::uint64_t NodeDetector::generation() const {
  std::lock_guard lock(mu_);
  return generation_;
}

namespace {

agent::HttpResponse badRequest(std::string why) {
  agent::HttpResponse r;
  r.status = 400;
  r.contentType = "text/plain; charset=utf-8";
  r.body = std::move(why) + "\n";
  return r;
}

}  // namespace

std::vector<agent::AgentRoute> detectionRoutes(NodeDetector& detector,
                                               runtime::MetricsRegistry* metrics) {
  runtime::Gauge* series = nullptr;
  runtime::Gauge* generation = nullptr;
  if (metrics) {
    series = &metrics
                  ->gauge("leakguard_agent_detection_series",
                          "Container series this agent follows for the controller")
                  .labels({});
    generation = &metrics
                      ->gauge("leakguard_agent_detection_generation",
                              "Generation of the controller's assignment this agent follows")
                      .labels({});
  }
  auto report = [&detector, series, generation](const agent::HttpRequest& req) {
    auto parsed = parseDetectionRequest(req.body);
    if (!parsed) return badRequest(parsed.error().message);
    agent::HttpResponse r;
    r.body = toJson(detector.handle(*parsed));
    if (series) series->set(static_cast<double>(detector.seriesCount()));
    if (generation) generation->set(static_cast<double>(detector.generation()));
    return r;
  };
  auto read = [&detector](const agent::HttpRequest& req) {
    auto pod = agent::queryParam(req.query, "pod");
    auto container = agent::queryParam(req.query, "container");
    auto resource = agent::queryParam(req.query, "resource");
    const auto r = resource ? detect::parseResource(*resource) : std::nullopt;
    if (!pod || !container || !r)
      return badRequest("pod, container and resource (memory, fds, threads) are required");
    agent::HttpResponse res;
    res.body = toJson(
        detector.series({*pod, *container, *r}, agent::queryParam(req.query, "history") == "1"));
    return res;
  };
  auto sizing = [&detector](const agent::HttpRequest& req) {
    auto pod = agent::queryParam(req.query, "pod");
    auto container = agent::queryParam(req.query, "container");
    auto resource = agent::queryParam(req.query, "resource");
    auto minHistory = agent::queryParam(req.query, "minHistory");
    const auto r = resource ? detect::parseResource(*resource) : std::nullopt;
    double seconds = -1;
    if (minHistory) {
      char* end = nullptr;
      seconds = std::strtod(minHistory->c_str(), &end);
      if (end == minHistory->c_str() || *end != '\0') seconds = -1;
    }
    if (!pod || !container || !r || !(seconds >= 0))
      return badRequest("pod, container, resource and minHistory (seconds) are required");
    agent::HttpResponse res;
    res.body = toJson(detector.sizing({*pod, *container, *r}, {.minHistorySeconds = seconds}));
    return res;
  };
  return {{.path = "/v1/detection", .post = true, .handler = report},
          {.path = "/v1/series", .handler = read},
          {.path = "/v1/sizing", .handler = sizing}};
}

}  // namespace lg::reconcile
