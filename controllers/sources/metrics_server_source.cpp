#include "controllers/sources/metrics_server_source.h"

#include "operator/util/logger.h"

namespace lg::sources {

std::optional<UsageSample> toUsageSample(const ContainerUsage& u,
                                         const runtime::PodProjection& pod) {
  const runtime::ContainerProjection* c = pod.container(u.container);
  if (!c) return std::nullopt;
  return UsageSample{.podUid = pod.uid.str(),
                     .ns = u.ns,
                     .pod = u.pod,
                     .container = u.container,
                     .containerId = c->id.str(),
                     .time = u.timestamp,
                     .resource = detect::Resource::kMemory,
                     .value = u.workingSetBytes,
                     .limit = static_cast<double>(c->memoryLimitBytes),
                     .source = Source::kMetricsServer};
}

MetricsServerSource::MetricsServerSource(kube::ApiClient& api, Clock& clock,
                                         std::chrono::seconds interval, PodLookup pods,
                                         UsageSink sink, std::vector<std::string> namespaces)
    : api_(api),
      clock_(clock),
      interval_(interval),
      pods_(std::move(pods)),
      sink_(std::move(sink)),
      namespaces_(std::move(namespaces)) {}

MetricsServerSource::~MetricsServerSource() {
  stop();
}

Status MetricsServerSource::start() {
  if (thread_.joinable()) return okStatus();
  {
    std::lock_guard lock(mu_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { loop(); });
  return okStatus();
}

void MetricsServerSource::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

MetricsServerStatus MetricsServerSource::status() const {
  std::lock_guard lock(mu_);
  return status_;
}

void MetricsServerSource::pollOnce() {
  MetricsServerStatus st;
  st.everPolled = true;
  st.available = true;
  std::vector<std::string> scopes = namespaces_;
  if (scopes.empty()) scopes.push_back("");  // every namespace at once
  for (const auto& ns : scopes) {
    const kube::ResourceRef ref{
        .group = "metrics.k8s.io", .version = "v1beta1", .resource = "pods", .ns = ns};
    // The metrics API does not paginate; a generous page limit is still a bound.
    auto page = api_.list(ref, {.limit = 0, .timeout = std::chrono::seconds(20)});
    if (!page) {
      st.available = false;
      st.message =
          "metrics.k8s.io answered " +
          (page.error().code ? std::to_string(page.error().code) : std::string("nothing")) +
          (ns.empty() ? std::string() : " for namespace " + ns) + ": " + page.error().message;
      break;
    }
    nlohmann::json list = {{"items", std::move(page->items)}};
    const PodMetricsParse parsed = parsePodMetrics(list);
    if (parsed.skipped > 0)
      LG_LOG(debug, "skipped malformed pod metrics", {{"count", parsed.skipped}});
    for (const auto& u : parsed.usages) {
      auto pod = pods_(u.ns, u.pod);
      if (!pod) continue;
      if (auto sample = toUsageSample(u, *pod)) sink_(*sample);
    }
    st.lastSamples += parsed.usages.size();
  }
  if (st.available) st.lastSuccess = toSeconds(clock_.now());
  MetricsServerStatus before;
  {
    std::lock_guard lock(mu_);
    before = status_;
    // When it last worked survives any number of failed polls.
    if (!st.available) st.lastSuccess = status_.lastSuccess;
    status_ = st;
  }
  logChange(before, st);
}

void MetricsServerSource::logChange(const MetricsServerStatus& before,
                                    const MetricsServerStatus& now) {
  if (now.available) {
    if (before.everPolled && !before.available) LG_LOG(info, "metrics-server available again", {});
    lastWarned_.reset();
    unlogged_ = 0;
    return;
  }
  const bool news = before.available || !before.everPolled || before.message != now.message;
  const auto t = clock_.steadyNow();
  if (!news && lastWarned_ && t - *lastWarned_ < std::chrono::minutes(10)) {
    ++unlogged_;
    return;
  }
  LG_LOG(warn, "metrics-server unavailable",
         {{"error", now.message}, {"unchangedPollsNotLogged", unlogged_}});
  lastWarned_ = t;
  unlogged_ = 0;
}

void MetricsServerSource::loop() {
  for (;;) {
    pollOnce();
    std::unique_lock lock(mu_);
    if (clock_.waitFor(lock, cv_, interval_, [this] { return stopping_; })) return;
  }
}

}  // namespace lg::sources
