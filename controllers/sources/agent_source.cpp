#include "controllers/sources/agent_source.h"

#include <atomic>

#include "operator/kube/file_token_source.h"
#include "operator/util/allocator.h"
#include "operator/util/logger.h"
#include "operator/util/parallel_for.h"

namespace lg::sources {

std::vector<UsageSample> toUsageSamples(const agent::AgentSample& s) {
  std::vector<UsageSample> out;
  if (!s.running || !s.id) return out;
  const auto& id = *s.id;
  auto base = [&](detect::Resource r, double value, double limit) {
    return UsageSample{.podUid = id.podUid,
                       .ns = id.ns,
                       .pod = id.pod,
                       .container = id.container,
                       .containerId = id.containerId,
                       .time = s.time,
                       .resource = r,
                       .value = value,
                       .limit = limit,
                       .source = Source::kAgent};
  };
  const auto& m = s.data.memory;
  if (m.anon && m.shmem) {
    out.push_back(base(detect::Resource::kMemory, static_cast<double>(*m.anon + *m.shmem),
                       static_cast<double>(m.limit.value_or(0))));
    if (const auto& r = s.data.processes.runtime) {
      out.back().runtimeHeapMax = static_cast<double>(r->bytes);
      out.back().runtime = r->runtime;
      out.back().runtimeHeapSetBy = r->setBy;
    }
  }
  const auto& p = s.data.processes;
  if (p.fdsMax && p.processes && *p.processes > 0)
    out.push_back(base(detect::Resource::kFds, static_cast<double>(*p.fdsMax),
                       static_cast<double>(p.fdsSoftLimit.value_or(0))));
  const auto threads = p.threads ? p.threads : s.data.pids.current;
  if (threads)
    out.push_back(base(detect::Resource::kThreads, static_cast<double>(*threads),
                       static_cast<double>(s.data.pids.max.value_or(0))));
  return out;
}

void judgeRuntimeCap(UsageSample& u, bool specMaySetOptions) {
  if (!specMaySetOptions) {
    u.runtimeHeapSetBy += "; its environment unread, the pod spec sets no heap options";
    return;
  }
  u.runtimeHeapMax = 0;  // options set in the environment are unseen: no cap
  u.runtime.clear();
  u.runtimeHeapSetBy.clear();
}

AgentSource::AgentSource(Clock& clock, AgentSourceOptions opts, UsageSink sink)
    : clock_(clock),
      opts_(std::move(opts)),
      sink_(std::move(sink)),
      refusalLog_(clock, std::chrono::seconds(60)) {
  if (!opts_.token && !opts_.tokenFile.empty()) {
    auto file = std::make_shared<kube::FileTokenSource>(opts_.tokenFile, clock_);
    opts_.token = [file] { return file->token(); };
  }
  if (opts_.metrics)
    refusedTotal_ = &opts_.metrics->counter(
        "leakguard_agent_samples_refused_total",
        "Node agent samples not believed: for a pod of another node or none known, or dated "
        "in the future",
        {"reason"});
}

AgentSource::Refusal AgentSource::judge(const AgentEndpoint& ep, const agent::AgentSample& s,
                                        double now) const {
  if (s.time > now + opts_.maxFutureSkewSeconds) return Refusal::kFuture;
  if (!opts_.podNode || ep.node.empty() || !s.id) return Refusal::kNone;
  const auto node = opts_.podNode(s.id->ns, s.id->pod, s.id->podUid);
  if (!node) return Refusal::kUnknownPod;
  return *node == ep.node ? Refusal::kNone : Refusal::kOtherNode;
}

void AgentSource::refused(const AgentEndpoint& ep, const agent::AgentSample& s, Refusal why,
                          RoundCounts& counts) {
  const char* reason = why == Refusal::kOtherNode    ? "other_node"
                       : why == Refusal::kUnknownPod ? "unknown_pod"
                                                     : "future";
  (why == Refusal::kOtherNode    ? counts.otherNode
   : why == Refusal::kUnknownPod ? counts.unknownPod
                                 : counts.future)++;
  if (refusedTotal_) refusedTotal_->labels({reason}).inc();
  // A pod the cache does not know yet (just created) is ordinary; the others say an agent
  // speaks beyond its node, or a node's clock runs ahead.
  if (why == Refusal::kUnknownPod) return;
  if (auto notLogged = refusalLog_.admit())
    LG_LOG(warn, "node agent sample not believed",
           {{"agent", ep.name},
            {"node", ep.node},
            {"reason", reason},
            {"pod", s.id ? s.id->ns + "/" + s.id->pod : std::string()},
            {"sampleTime", s.time},
            {"refusalsNotLogged", *notLogged}});
}

AgentSource::~AgentSource() {
  stop();
}

Status AgentSource::init() {
  auto c = AgentClient::create(opts_.client);
  if (!c) return c.error();
  client_ = std::move(*c);
  if (!client_->verifiesAgents())
    LG_LOG(warn, "node agents' TLS certificates are not verified (no agent CA file)", {});
  return okStatus();
}

std::string AgentSource::pollAgent(const AgentEndpoint& ep, const std::string& token,
                                   AgentState& state, RoundCounts& counts) {
  for (int page = 0; page < opts_.maxPagesPerPoll; ++page) {
    auto res = client_->fetchSamples(ep.host, ep.port, state.next, token, opts_.pageSize, ep.node);
    if (!res) return res.error().message;
    if (res->epoch != state.epoch) {
      const bool first = state.epoch.empty();
      state.epoch = res->epoch;
      if (!first && state.next != 0) {
        // The agent restarted: its sequence numbers start over. Read it from its oldest sample.
        state.next = 0;
        continue;
      }
    }
    const double now = toSeconds(clock_.now());
    for (const auto& s : res->samples) {
      const auto usage = toUsageSamples(s);  // none for a container not running
      if (usage.empty()) continue;
      if (const Refusal why = judge(ep, s, now); why != Refusal::kNone) {
        refused(ep, s, why, counts);
        continue;
      }
      for (auto u : usage) {
        if (u.runtimeHeapMax > 0 && !s.data.processes.runtime->environRead)
          judgeRuntimeCap(u, !opts_.runtimeOptionsInSpec ||
                                 opts_.runtimeOptionsInSpec(u.ns, u.pod, u.podUid, u.container));
        sink_(u);
      }
    }
    counts.samples += res->samples.size();
    counts.dropped += res->dropped;
    state.next = res->next;
    if (!res->more) break;
    counts.backlog = true;  // a full page, and more to read
  }
  return "";
}

std::vector<AgentSource::AgentState*> AgentSource::keepStates(
    const std::vector<AgentEndpoint>& eps) {
  // Forget agents that went away (their pod IP may come back for another pod).
  std::map<std::string, AgentState> kept;
  for (const auto& ep : eps) {
    const std::string key = ep.host + ":" + std::to_string(ep.port);
    auto it = agents_.find(key);
    kept[key] = it != agents_.end() ? it->second : AgentState{};
  }
  agents_ = std::move(kept);
  std::vector<AgentState*> states;
  for (const auto& ep : eps)
    states.push_back(&agents_[ep.host + ":" + std::to_string(ep.port)]);
  return states;
}

void AgentSource::pollOnce() {
  if (!client_) return;
  std::vector<AgentEndpoint> eps =
      opts_.endpoints ? opts_.endpoints() : std::vector<AgentEndpoint>{};
  AgentSourceStatus st;
  {
    std::lock_guard g(mu_);
    st.samples = status_.samples;
    st.dropped = status_.dropped;
    st.otherNode = status_.otherNode;
    st.unknownPod = status_.unknownPod;
    st.future = status_.future;
  }
  st.agents = eps.size();
  const std::vector<AgentState*> states = keepStates(eps);
  if (eps.empty()) {
    std::lock_guard g(mu_);
    status_ = st;
    return;
  }
  std::string token;
  if (opts_.token) {
    auto t = opts_.token();
    if (!t) {
      st.lastError = "no token for the node agents: " + t.error().message;
      LG_LOG(warn, "cannot poll node agents", {{"error", st.lastError}});
      std::lock_guard g(mu_);
      status_ = st;
      return;
    }
    token = *t;
  }

  std::atomic<std::size_t> reachable{0};
  RoundCounts counts;
  std::mutex errMu;
  std::string lastError;
  parallelFor(eps.size(), opts_.parallelism, [&](std::size_t i) {
    const std::string err = pollAgent(eps[i], token, *states[i], counts);
    if (err.empty()) {
      ++reachable;
      return;
    }
    LG_LOG(warn, "node agent poll failed",
           {{"agent", eps[i].name}, {"node", eps[i].node}, {"error", err}});
    std::lock_guard g(errMu);
    lastError = err;
  });

  // A backlog (a controller that started or failed over, an agent's ring read whole) parsed
  // full pages on several threads: their buffers and freed chunks would stay resident. This
  // thread's parser is the one that outlives the round.
  if (counts.backlog.load()) {
    agent::releaseSamplesParser();
    releaseFreeMemory();
  }
  st.reachable = reachable.load();
  st.samples += counts.samples.load();
  st.dropped += counts.dropped.load();
  st.otherNode += counts.otherNode.load();
  st.unknownPod += counts.unknownPod.load();
  st.future += counts.future.load();
  st.lastError = lastError;
  std::lock_guard g(mu_);
  status_ = st;
}

AgentSourceStatus AgentSource::status() const {
  std::lock_guard g(mu_);
  return status_;
}

Status AgentSource::start() {
  if (thread_.joinable()) return okStatus();
  if (!client_)
    if (Status st = init(); !st.ok()) return st;
  {
    std::lock_guard g(mu_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { loop(); });
  return okStatus();
}

void AgentSource::loop() {
  for (;;) {
    pollOnce();
    std::unique_lock lock(mu_);
    if (clock_.waitFor(lock, cv_, opts_.interval, [this] { return stopping_; })) return;
  }
}

void AgentSource::stop() {
  {
    std::lock_guard g(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace lg::sources
