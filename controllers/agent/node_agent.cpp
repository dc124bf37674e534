#include "controllers/agent/node_agent.h"

#include <sys/resource.h>
#include <unistd.h>

#include <memory>
#include <random>
#include <unordered_set>

#include "controllers/agent/cgroup_parsers.h"
#include "controllers/agent/kubelet_pod_lister.h"
#include "operator/util/log_throttle.h"
#include "operator/util/logger.h"

namespace lg::agent {
namespace {

std::string randomEpoch() {
  std::random_device rd;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 4; ++i) {
    const unsigned v = rd();
    for (int k = 0; k < 4; ++k)
      out += kHex[(v >> (k * 4)) & 0xF];
  }
  return out;
}

std::int64_t steadyNs(Clock::steady_time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

HttpResponse json(std::string body) {
  HttpResponse r;
  r.body = std::move(body);
  return r;
}

}  // namespace

NodeAgent::NodeAgent(kube::ApiClient& api, Clock& clock, NodeAgentOptions opts)
    : api_(api),
      clock_(clock),
      opts_(std::move(opts)),
      epoch_(randomEpoch()),
      ring_(opts_.bufferSamples) {
  passes_ =
      &metrics_.counter("leakguard_agent_passes_total", "Sampling passes completed").labels({});
  passSeconds_ = &metrics_
                      .histogram("leakguard_agent_pass_seconds",
                                 "Time one sampling pass over the node's containers took", {},
                                 {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5})
                      .labels({});
  containers_ = &metrics_.gauge("leakguard_agent_containers", "Containers sampled in the last pass")
                     .labels({});
  samplesTotal_ = &metrics_.counter("leakguard_agent_samples_total", "Samples taken").labels({});
  bufferSamples_ =
      &metrics_.gauge("leakguard_agent_buffer_samples", "Samples held in the ring buffer")
           .labels({});
  bufferOverwritten_ = &metrics_
                            .gauge("leakguard_agent_buffer_overwritten_samples",
                                   "Samples overwritten in the ring buffer since start")
                            .labels({});
  readProblems_ = &metrics_
                       .counter("leakguard_agent_read_problems_total",
                                "cgroup or /proc files that could not be read or parsed")
                       .labels({});
  kernelOomKills_ = &metrics_
                         .counter("leakguard_agent_kernel_oom_kills_total",
                                  "OOM kills of pod containers read from the kernel log")
                         .labels({});
  residentBytes_ = &metrics_
                        .gauge("leakguard_agent_resident_memory_bytes",
                               "The agent's own resident memory (VmRSS)")
                        .labels({});
  cpuSeconds_ = &metrics_
                     .gauge("leakguard_agent_cpu_seconds",
                            "CPU time (user + system) the agent has used since it started")
                     .labels({});
}

NodeAgent::~NodeAgent() {
  stop();
}

Status NodeAgent::init() {
  auto layout = detectCgroupLayout(opts_.cgroupRoot);
  if (!layout) return layout.error();
  sampler_ = std::make_unique<CgroupSampler>(*layout, ProcReaderOptions{.procRoot = opts_.procRoot},
                                             clock_);
  finder_ = std::make_unique<PodCgroupFinder>(
      *layout, PodCgroupFinderOptions{.kubepodsPath = opts_.kubepodsPath});
  if (!opts_.kmsgPath.empty()) {
    kmsg_ = std::make_unique<KernelOomWatcher>(opts_.kmsgPath);
    if (auto st = kmsg_->open(); !st) {
      LG_LOG(warn, "OOM kills will come from cgroup counters only",
             {{"error", st.error().message}});
    }
  }
  if (auto st = finder_->refresh(); !st) {
    LG_LOG(warn, "no pod cgroups yet", {{"error", st.error().message}});
  }
  lastRefresh_ = clock_.steadyNow();
  LG_LOG(info, "node agent ready",
         {{"node", opts_.nodeName},
          {"cgroupVersion", layout->version},
          {"cgroupRoot", layout->root},
          {"kubepods", finder_->kubepodsPaths()},
          {"kernelLog", kernelLogOpen() ? opts_.kmsgPath : std::string("unavailable")},
          {"epoch", epoch_}});
  return okStatus();
}

void NodeAgent::processKernelLog() {
  if (!kmsg_ || !kmsg_->isOpen()) return;
  for (const auto& kill : kmsg_->poll()) {
    auto info = parsePodCgroupPath(kill.taskMemcg);
    if (!info) continue;  // not a pod's process
    oomKills_.recordKernelKill(info->podUid, info->containerId);
    kernelOomKills_->inc();
    LG_LOG(info, "OOM kill in a pod",
           {{"podUid", info->podUid},
            {"containerId", info->containerId},
            {"task", kill.task},
            {"pid", kill.pid}});
  }
}

std::shared_ptr<const ContainerIdentity> NodeAgent::identity(const AgentPod& pod,
                                                             const AgentContainer& c) {
  const std::string key = pod.uid + "/" + c.name;
  auto& slot = identities_[key];
  if (!slot || slot->containerId != c.id || slot->pod != pod.name) {
    slot = std::make_shared<const ContainerIdentity>(
        ContainerIdentity{pod.uid, pod.ns, pod.name, c.name, c.id});
  }
  return slot;
}

std::size_t NodeAgent::sampleOnce(const PodList& pods) {
  if (!sampler_) return 0;
  const auto start = clock_.steadyNow();
  processKernelLog();
  const double now = toSeconds(clock_.now());
  // Pod directories are re-listed when a container's cgroup is unknown (at most once a pass)
  // and once a minute, so removed pods leave the index.
  bool refreshed = false;
  auto refresh = [&] {
    if (refreshed) return;
    refreshed = true;
    lastRefresh_ = clock_.steadyNow();
    if (auto st = finder_->refresh(); !st && start - lastFinderWarning_ > std::chrono::minutes(1)) {
      lastFinderWarning_ = start;
      LG_LOG(warn, "cannot list pod cgroups", {{"error", st.error().message}});
    }
  };
  if (start - lastRefresh_ >= std::chrono::minutes(1)) refresh();

  std::unordered_set<std::string> liveUids, liveKeys;
  std::size_t taken = 0;
  for (const auto& podPtr : pods) {
    if (!podPtr) continue;
    const AgentPod& pod = *podPtr;
    liveUids.insert(pod.cgroupUid);
    bool podCounterRead = false;
    std::optional<std::uint64_t> podOomKill;
    for (const auto& c : pod.containers) {
      const std::string id(stripRuntimeScheme(c.id));
      const std::string lastId(stripRuntimeScheme(c.lastId));
      if (id.empty() && lastId.empty()) continue;  // never started on this node
      oomKills_.noteContainer(pod.cgroupUid, c.name, id);
      oomKills_.noteContainer(pod.cgroupUid, c.name, lastId);
      liveKeys.insert(pod.uid + "/" + c.name);

      AgentSample s;
      s.time = now;
      s.id = identity(pod, c);
      std::optional<std::string> path;
      if (!id.empty()) {
        path = finder_->container(id);
        if (!path) {
          refresh();
          path = finder_->container(id);
        }
      }
      problems_.clear();
      if (path && sampler_->exists(*path)) {
        sampler_->sample(*path, s.data, problems_);
        s.running = true;
        if (s.data.memory.oomKill)
          oomKills_.noteCgroupCounter(pod.cgroupUid, id, *s.data.memory.oomKill);
      }
      if (!podCounterRead) {
        podCounterRead = true;
        if (auto podPath = finder_->pod(pod.cgroupUid); podPath && sampler_->exists(*podPath))
          podOomKill = sampler_->oomKillCounter(*podPath, problems_);
      }
      readProblems_->inc(static_cast<double>(problems_.size()));
      s.podOomKill = podOomKill;
      const std::uint64_t kills = oomKills_.kills(pod.cgroupUid, c.name);
      if (kernelLogOpen() || s.data.memory.oomKill || kills > 0) s.oomKills = kills;
      if (opts_.onSample) opts_.onSample(s);
      ring_.push(std::move(s));
      ++taken;
    }
  }
  oomKills_.forgetPodsExcept(liveUids);
  std::erase_if(identities_, [&](const auto& e) { return !liveKeys.contains(e.first); });

  const auto end = clock_.steadyNow();
  passes_->inc();
  passSeconds_->observe(std::chrono::duration<double>(end - start).count());
  containers_->set(static_cast<double>(taken));
  samplesTotal_->inc(static_cast<double>(taken));
  bufferSamples_->set(static_cast<double>(ring_.size()));
  bufferOverwritten_->set(static_cast<double>(ring_.overwritten()));
  updateSelfMetrics();
  lastPassNs_ = steadyNs(end);
  return taken;
}

void NodeAgent::updateSelfMetrics() {
  rusage ru{};
  if (::getrusage(RUSAGE_SELF, &ru) == 0) {
    const double cpu = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                       static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    cpuSeconds_->set(cpu);
  }
  // Our own statm, whatever /proc the containers are read from.
  FileReader reader(4096);
  if (auto statm = reader.read("/proc/self/statm")) {
    const std::string_view s = *statm;
    const auto sp = s.find(' ');
    if (sp != std::string_view::npos) {
      const auto rest = s.substr(sp + 1);
      if (auto pages = parseUint(rest.substr(0, rest.find(' '))))
        residentBytes_->set(static_cast<double>(*pages) *
                            static_cast<double>(::sysconf(_SC_PAGESIZE)));
    }
  }
}

std::string NodeAgent::samplesPage(std::uint64_t since, std::size_t max) const {
  std::string out;
  out.reserve(256);
  out += "{\"node\":";
  appendJsonString(out, opts_.nodeName);
  out += ",\"epoch\":";
  appendJsonString(out, epoch_);
  out += ",\"samples\":[";
  bool first = true;
  const auto info =
      ring_.read(since, std::min(max, opts_.maxPageSamples), [&](const AgentSample& s) {
        if (!first) out += ',';
        first = false;
        appendJson(out, s);
      });
  out += "],\"next\":" + std::to_string(info.next) +
         ",\"dropped\":" + std::to_string(info.dropped) +
         ",\"more\":" + (info.more ? "true" : "false") + "}";
  return out;
}

void NodeAgent::registerRoutes(AgentServer& server,
                               std::function<AuthResult(std::string_view)> authenticate,
                               std::vector<AgentRoute> extra) {
  auto& requests =
      metrics_.counter("leakguard_agent_requests_total",
                       "Requests by path and authentication outcome", {"path", "outcome"});
  // Refusals are an outsider's to make: counted always, logged at most once per 10 s, the line
  // saying how many were not logged since the last.
  auto refusals = std::make_shared<LogThrottle>(clock_, std::chrono::seconds(10));
  auto observe = [&requests, refusals](const HttpRequest& req, const AuthResult& r) {
    requests.labels({req.path, std::string(toString(r.outcome))}).inc();
    if (r.outcome == AuthResult::Outcome::kAllowed) return;
    if (auto notLogged = refusals->admit())
      LG_LOG(info, "agent request refused",
             {{"remote", req.remote},
              {"path", req.path},
              {"outcome", toString(r.outcome)},
              {"user", r.user},
              {"reason", r.reason},
              {"refusalsNotLogged", *notLogged}});
  };
  server.route("/healthz", [this](const HttpRequest&) {
    HttpResponse r;
    r.contentType = "text/plain; charset=utf-8";
    r.status = healthy() ? 200 : 503;
    r.body = r.status == 200 ? "ok\n" : "sampling stalled\n";
    return r;
  });
  server.route("/metrics", requireAuthentication(
                               authenticate,
                               [this](const HttpRequest&) {
                                 HttpResponse r;
                                 r.contentType =
                                     std::string(runtime::MetricsRegistry::kContentType);
                                 r.body = metrics_.render();
                                 return r;
                               },
                               observe));
  server.route("/v1/samples", requireAuthentication(
                                  authenticate,
                                  [this](const HttpRequest& req) {
                                    std::uint64_t since = 0;
                                    std::size_t limit = opts_.maxPageSamples;
                                    if (auto s = queryParam(req.query, "since")) {
                                      auto v = parseUint(*s);
                                      if (!v) {
                                        HttpResponse bad;
                                        bad.status = 400;
                                        bad.contentType = "text/plain; charset=utf-8";
                                        bad.body = "since must be a sequence number\n";
                                        return bad;
                                      }
                                      since = *v;
                                    }
                                    if (auto l = queryParam(req.query, "limit")) {
                                      if (auto v = parseUint(*l); v && *v > 0) limit = *v;
                                    }
                                    return json(samplesPage(since, limit));
                                  },
                                  observe));
  for (auto& r : extra) {
    auto handler = requireAuthentication(authenticate, std::move(r.handler), observe);
    if (r.post)
      server.postRoute(std::move(r.path), std::move(handler));
    else
      server.route(std::move(r.path), std::move(handler));
  }
}

bool NodeAgent::healthy() const {
  const std::int64_t now = steadyNs(clock_.steadyNow());
  const std::int64_t allowance =
      3 * std::chrono::duration_cast<std::chrono::nanoseconds>(opts_.interval).count() +
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::seconds(30)).count();
  const std::int64_t last = lastPassNs_.load();
  if (last == 0) return startedNs_.load() == 0 || now - startedNs_.load() < allowance;
  return now - last < allowance;
}

Status NodeAgent::start() {
  if (thread_.joinable()) return okStatus();
  if (!sampler_)
    if (Status st = init(); !st.ok()) return st;
  startedNs_ = steadyNs(clock_.steadyNow());
  if (!opts_.containerLogLinks.empty()) {
    thread_ = std::thread([this] { loop(); });
    return okStatus();
  }
  runtime::ReflectorOptions ro{.resource = {.version = "v1", .resource = "pods"},
                               .fieldSelector = "spec.nodeName=" + opts_.nodeName,
                               .name = "pods"};
  informer_ = std::make_unique<runtime::Informer<AgentPod>>(
      api_, clock_, std::move(ro), [](const nlohmann::json& j) { return projectAgentPod(j); },
      opts_.namespaces);
  informer_->start();
  thread_ = std::thread([this] { loop(); });
  return okStatus();
}

void NodeAgent::loop() {
  for (;;) {
    // The informer's store or the kubelet's links, not the API: listing pods every interval
    // would cost the API server.
    if (informer_) {
      sampleOnce(informer_->store().list());
    } else {
      sampleOnce(
          podsFromLogLinks(readContainerLogLinks(opts_.containerLogLinks), opts_.namespaces));
    }
    std::unique_lock lock(mu_);
    if (clock_.waitFor(lock, cv_, opts_.interval, [this] { return stopping_; })) return;
  }
}

void NodeAgent::stop() {
  {
    std::lock_guard g(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (informer_) informer_->stop();
}

}  // namespace lg::agent
