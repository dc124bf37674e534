#include "controllers/reconcile/agent_detection.h"

#include <algorithm>
#include <atomic>

#include "operator/kube/file_token_source.h"
#include "operator/util/allocator.h"
#include "operator/util/logger.h"
#include "operator/util/parallel_for.h"

namespace lg::reconcile {
namespace {

// An agent that does not detect is asked again this often (it may have been upgraded).
constexpr double kRefusalRetrySeconds = 300;

}  // namespace

std::uint64_t assignmentGeneration(const DetectionAssignment& a) {
  // FNV-1a over the assignment's JSON; never 0 (an agent without an assignment says 0).
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : toJson(DetectionRequest{.assignment = a})) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h == 0 ? 1 : h;
}

AgentDetection::AgentDetection(Clock& clock, AgentDetectionOptions opts)
    : clock_(clock),
      opts_(std::move(opts)),
      fetchLog_(clock, std::chrono::minutes(1)),
      task_({.name = "node agent detection",
             .every = std::chrono::duration_cast<std::chrono::milliseconds>(opts_.interval),
             .tick = [this] { pollOnce(); }},
            clock) {
  if (!opts_.token && !opts_.tokenFile.empty()) {
    auto file = std::make_shared<kube::FileTokenSource>(opts_.tokenFile, clock_);
    opts_.token = [file] { return file->token(); };
  }
}

AgentDetection::~AgentDetection() {
  stop();
}

void AgentDetection::onFinding(UsageHub::FindingCallback cb) {
  std::lock_guard g(mu_);
  callbacks_.push_back(std::move(cb));
}

Status AgentDetection::init() {
  auto c = sources::AgentClient::create(opts_.client);
  if (!c) return c.error();
  client_ = std::move(*c);
  return okStatus();
}

void AgentDetection::nodeChanged(const std::string& node) {
  std::lock_guard g(mu_);
  if (auto it = agents_.find(node); it != agents_.end()) it->second.dirty = true;
}

void AgentDetection::everyNodeChanged() {
  std::lock_guard g(mu_);
  for (auto& [node, a] : agents_)
    a.dirty = true;
}

bool AgentDetection::refused(const std::string& node) const {
  std::lock_guard g(mu_);
  auto it = agents_.find(node);
  return it != agents_.end() && it->second.support == Support::kNo;
}

bool AgentDetection::detects(const std::string& node) const {
  std::lock_guard g(mu_);
  auto it = agents_.find(node);
  return it != agents_.end() && it->second.support != Support::kNo;
}

bool AgentDetection::holds(const std::string& podUid) const {
  std::lock_guard g(mu_);
  return pods_.count(podUid) > 0;
}

AgentDetectionStatus AgentDetection::status() const {
  std::lock_guard g(mu_);
  return status_;
}

bool AgentDetection::canAssign() const {
  return opts_.assignments && (!opts_.ready || opts_.ready());
}

std::string AgentDetection::currentToken() const {
  if (!opts_.token) return "";
  auto t = opts_.token();
  return t ? *t : "";
}

// Under the lock: agents known from the endpoints (those gone forgotten with their pods and
// findings), and the assignments worked out for the nodes that need one.
std::vector<AgentDetection::Round> AgentDetection::plan(
    const std::vector<sources::AgentEndpoint>& eps, double now) {
  std::set<std::string> stale;
  std::vector<Round> rounds;
  const bool assign = canAssign();
  {
    std::lock_guard g(mu_);
    std::map<std::string, Agent> kept;
    for (const auto& ep : eps) {
      if (ep.node.empty() || kept.count(ep.node)) continue;  // static endpoints: samples only
      auto it = agents_.find(ep.node);
      Agent a = it != agents_.end() ? std::move(it->second) : Agent{};
      if (a.ep.host != ep.host || a.ep.port != ep.port) {  // another agent pod: start over
        Agent fresh;
        fresh.uids = std::move(a.uids);  // the node's pods, still to be told apart
        a = std::move(fresh);
      }
      a.ep = ep;
      if (a.support == Support::kNo && now - a.refusedAt < kRefusalRetrySeconds) {
        kept.emplace(ep.node, std::move(a));
        continue;
      }
      if (assign && (a.dirty || a.ackedGeneration != a.sentGeneration ||
                     now - a.assignedAt >= static_cast<double>(opts_.reassignEvery.count()))) {
        stale.insert(ep.node);
        a.dirty = false;  // a change from now on marks it again
      }
      rounds.push_back({.ep = ep});
      kept.emplace(ep.node, std::move(a));
    }
    agents_ = std::move(kept);
    std::erase_if(pods_, [this](const auto& kv) { return !agents_.count(kv.second.node); });
  }
  if (stale.empty()) return rounds;
  auto assignments = opts_.assignments(stale);
  for (auto& r : rounds) {
    if (!stale.count(r.ep.node)) continue;
    auto it = assignments.find(r.ep.node);
    r.assignment = it != assignments.end() ? std::move(it->second) : DetectionAssignment{};
  }
  return rounds;
}

Result<DetectionReport> AgentDetection::post(const sources::AgentEndpoint& ep,
                                             const DetectionRequest& req,
                                             const std::string& token) const {
  auto body = client_->post(ep.host, ep.port, "/v1/detection", toJson(req), token, ep.node);
  if (!body) return body.error();
  auto report = parseDetectionReport(*body);
  if (!report) return makeError("agent of " + ep.node + ": " + report.error().message);
  if (report->node != ep.node)
    return makeError("agent of " + ep.node + " reports for node " + report->node);
  return report;
}

void AgentDetection::pollAgent(Round& round, const std::string& token, double now) {
  const auto& ep = round.ep;
  DetectionRequest req;
  bool send = false;
  {
    std::lock_guard g(mu_);
    Agent& a = agents_[ep.node];
    req.generation = a.sentGeneration;
    if (round.assignment) {
      // The generation is the content's hash, not a count: the controller's replicas all poll
      // the agents, and with the same caches they send the same generation, which the agent
      // then follows without being told it again by each.
      a.sentGeneration = assignmentGeneration(*round.assignment);
      req.generation = a.sentGeneration;
      send = a.ackedGeneration != req.generation;
      a.assignedAt = now;
    }
  }
  if (send) req.assignment = round.assignment;
  auto report = post(ep, req, token);
  // The agent restarted since (a new epoch, generation 0): it gets the assignment at once.
  if (report && report->generation != req.generation && !req.assignment && canAssign()) {
    if (!round.assignment) {
      auto all = opts_.assignments({ep.node});
      round.assignment = std::move(all[ep.node]);
      req.generation = assignmentGeneration(*round.assignment);
      std::lock_guard g(mu_);
      Agent& a = agents_[ep.node];
      a.sentGeneration = req.generation;
      a.assignedAt = now;
    }
    req.assignment = round.assignment;
    report = post(ep, req, token);
  }
  if (!report) {
    const int code = report.error().code;
    std::lock_guard g(mu_);
    Agent& a = agents_[ep.node];
    if (code == 404 || code == 405) {
      if (a.support != Support::kNo)
        LG_LOG(info, "node agent does not detect: its samples are read instead",
               {{"agent", ep.name}, {"node", ep.node}});
      a.support = Support::kNo;
      a.refusedAt = now;
      a.findings.clear();
      for (const auto& uid : a.uids)
        if (auto it = pods_.find(uid); it != pods_.end() && it->second.node == ep.node)
          pods_.erase(it);
      a.uids.clear();
      return;
    }
    a.answered = false;  // its series are not read until it answers again
    round.error = report.error().message;
    return;
  }
  // The agent follows what was worked out (sent now, or by this or another replica before):
  // its reports are believed for those pods.
  // (req.generation is that assignment's hash, worked out once above.)
  if (round.assignment && report->generation == req.generation)
    assignPods(ep.node, *round.assignment);
  take(ep, *report, now);
}

// The pods of `node` are those of its assignment from now on. Costs the node's pods, not the
// cluster's: the pods it had are the agent's list of the last assignment.
void AgentDetection::assignPods(const std::string& node, const DetectionAssignment& a) {
  std::vector<std::string> added;
  {
    std::lock_guard g(mu_);
    auto agent = agents_.find(node);
    if (agent == agents_.end()) return;
    std::vector<std::string> uids;
    uids.reserve(a.pods.size());
    for (const auto& p : a.pods)
      uids.push_back(p.uid);
    std::sort(uids.begin(), uids.end());
    uids.erase(std::unique(uids.begin(), uids.end()), uids.end());
    const auto assigned = [&uids](const std::string& uid) {
      return std::binary_search(uids.begin(), uids.end(), uid);
    };
    for (const auto& uid : agent->second.uids)
      if (!assigned(uid))
        if (auto it = pods_.find(uid); it != pods_.end() && it->second.node == node)
          pods_.erase(it);
    for (const auto& uid : uids) {
      auto [it, inserted] = pods_.try_emplace(uid, PodEntry{.node = node});
      if (!inserted && it->second.node != node) it->second = PodEntry{.node = node};
      if (inserted) added.push_back(uid);
    }
    std::erase_if(agent->second.findings,
                  [&](const auto& kv) { return !assigned(kv.first.podUid); });
    agent->second.uids = std::move(uids);
  }
  if (opts_.assigned)
    for (const auto& uid : added)
      opts_.assigned(uid);
}

// A report, believed for the pods assigned to its agent and up to the controller's clock.
void AgentDetection::take(const sources::AgentEndpoint& ep, const DetectionReport& report,
                          double now) {
  std::vector<std::pair<SeriesKey, SeriesView>> raised;
  std::vector<UsageHub::FindingCallback> callbacks;
  {
    std::lock_guard g(mu_);
    Agent& a = agents_[ep.node];
    a.support = Support::kYes;
    a.epoch = report.epoch;
    a.ackedGeneration = report.generation;
    const auto mine = [&](const std::string& uid) {
      auto it = pods_.find(uid);
      return it != pods_.end() && it->second.node == ep.node ? &it->second : nullptr;
    };
    for (const auto& p : report.pods)
      if (PodEntry* e = mine(p.uid); e && p.lastSample <= now + opts_.maxFutureSkewSeconds)
        e->lastSample = std::max(e->lastSample, p.lastSample);
    std::map<SeriesKey, SeriesView> findings;
    for (const auto& [key, view] : report.findings) {
      if (!mine(key.podUid) || view.finding->time > now + opts_.maxFutureSkewSeconds) continue;
      auto old = a.findings.find(key);
      if (old == a.findings.end() || !old->second.finding ||
          old->second.finding->time < view.finding->time)
        raised.emplace_back(key, view);
      findings.emplace(key, view);
    }
    // What the agent reports is what is current: its hub applies the findings' time to live,
    // and a finding it no longer reports was reset (the container restarted) or unassigned.
    a.findings = std::move(findings);
    a.answered = true;
    ++status_.reports;
    if (!raised.empty()) callbacks = callbacks_;
  }
  for (const auto& [key, view] : raised)
    for (const auto& cb : callbacks)
      cb(key, view, *view.finding);
}

void AgentDetection::pollOnce() {
  if (!client_) return;
  const double now = toSeconds(clock_.now());
  std::vector<Round> rounds =
      plan(opts_.endpoints ? opts_.endpoints() : std::vector<sources::AgentEndpoint>{}, now);
  const std::string token = currentToken();
  parallelFor(rounds.size(), opts_.parallelism, [&](std::size_t i) {
    try {
      pollAgent(rounds[i], token, now);
    } catch (const std::exception& e) {  // never out of a polling thread: that would end us
      rounds[i].error = std::string("unexpected: ") + e.what();
    }
  });
  // Assignments worked out and encoded on the polling threads leave freed blocks in their
  // arenas, a few MiB at 10,000 pods: given back (BENCHMARKS.md, "Where detection runs").
  if (std::any_of(rounds.begin(), rounds.end(),
                  [](const Round& r) { return r.assignment.has_value(); }))
    releaseFreeMemory();
  std::lock_guard g(mu_);
  AgentDetectionStatus st{.reports = status_.reports};
  for (const auto& [node, a] : agents_) {
    ++st.agents;
    if (a.support == Support::kNo) ++st.refusing;
    st.findings += a.findings.size();
  }
  st.pods = pods_.size();
  for (const auto& r : rounds) {
    if (r.error.empty()) {
      if (agents_[r.ep.node].support == Support::kYes) ++st.detecting;
      continue;
    }
    st.lastError = r.error;
    LG_LOG(warn, "node agent detection poll failed",
           {{"agent", r.ep.name}, {"node", r.ep.node}, {"error", r.error}});
  }
  status_ = st;
}

std::optional<sources::AgentEndpoint> AgentDetection::endpointOf(const std::string& podUid) const {
  std::lock_guard g(mu_);
  auto pod = pods_.find(podUid);
  if (pod == pods_.end()) return std::nullopt;
  auto agent = agents_.find(pod->second.node);
  // An agent whose last poll failed is not asked: a reconcile would wait out its deadline for
  // every series (sizing asks for each covered pod).
  if (agent == agents_.end() || agent->second.support != Support::kYes || !agent->second.answered)
    return std::nullopt;
  return agent->second.ep;
}

std::optional<std::string> AgentDetection::fetch(const std::string& podUid,
                                                 const std::string& target) const {
  auto ep = endpointOf(podUid);
  if (!ep || !client_) return std::nullopt;
  auto body = client_->get(ep->host, ep->port, target, currentToken(), ep->node);
  if (!body) {
    // A node's agent down would otherwise say so for every series sizing asks for.
    if (auto held = fetchLog_.admit())
      LG_LOG(warn, "cannot read a series from its node agent",
             {{"node", ep->node},
              {"pod", podUid},
              {"error", body.error().message},
              {"suppressed", *held}});
    return std::nullopt;
  }
  return std::move(*body);
}

template <typename T, typename Parse>
std::optional<T> AgentDetection::fetchParsed(const std::string& podUid, const std::string& target,
                                             Parse parse, const char* what) const {
  auto body = fetch(podUid, target);
  if (!body) return std::nullopt;
  auto parsed = parse(*body);
  if (!parsed) {
    LG_LOG(warn, what, {{"pod", podUid}, {"error", parsed.error().message}});
    return std::nullopt;
  }
  return std::move(*parsed);
}

std::optional<SeriesReading> AgentDetection::read(const SeriesKey& key, bool withHistory) const {
  return fetchParsed<SeriesReading>(key.podUid, seriesTarget(key, withHistory), parseSeriesReading,
                                    "node agent sent an unreadable series");
}

std::optional<detect::SizingSeries> AgentDetection::sizingSeries(
    const SeriesKey& key, const detect::SizingOptions& opts) const {
  auto r = fetchParsed<std::optional<detect::SizingSeries>>(
      key.podUid, sizingTarget(key, opts.minHistorySeconds), parseSizingReading,
      "node agent sent an unreadable sizing series");
  return r ? std::move(*r) : std::nullopt;
}

std::optional<SeriesView> AgentDetection::view(const SeriesKey& key) const {
  auto r = read(key, false);
  return r ? r->view : std::nullopt;
}

std::vector<std::pair<double, double>> AgentDetection::history(const SeriesKey& key) const {
  auto r = read(key, true);
  return r ? std::move(r->history) : std::vector<std::pair<double, double>>{};
}

std::vector<std::pair<SeriesKey, SeriesView>> AgentDetection::currentFindings(
    const std::string& podUid, double now) const {
  std::vector<std::pair<SeriesKey, SeriesView>> out;
  std::lock_guard g(mu_);
  auto pod = pods_.find(podUid);
  if (pod == pods_.end()) return out;
  auto agent = agents_.find(pod->second.node);
  if (agent == agents_.end()) return out;
  const auto& findings = agent->second.findings;
  for (auto it = findings.lower_bound(SeriesKey{podUid, "", detect::Resource::kMemory});
       it != findings.end() && it->first.podUid == podUid; ++it)
    if (now - it->second.finding->time <= opts_.findingTtlSeconds) out.emplace_back(*it);
  return out;
}

std::optional<double> AgentDetection::lastSampleTime(const std::string& podUid) const {
  std::lock_guard g(mu_);
  auto pod = pods_.find(podUid);
  if (pod == pods_.end() || pod->second.lastSample <= 0) return std::nullopt;
  return pod->second.lastSample;
}

Status AgentDetection::start() {
  if (!client_)
    if (Status st = init(); !st.ok()) return st;
  return task_.start();
}

void AgentDetection::stop() {
  task_.stop();
}

}  // namespace lg::reconcile
