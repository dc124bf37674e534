#pragma once
// AgentDetection: the controller's side of the node agents that detect (`leakguard agent
// --detection`; ARCHITECTURE.md, "Where detection runs"). Every interval, for each agent:
//
//   POST /v1/detection  with the assignment of its node (which series some LeakPolicy covers and
//                       with which settings: SeriesRouter::assignments) when it changed or the
//                       agent does not follow it (it restarted: generation 0), else only the
//                       generation (a hash of the assignment: the controller's replicas agree
//                       on it); the answer is the agent's report (reconcile/detection_wire.h).
//
// From the reports it keeps, per assigned pod, the last sample's time (unobserved pods) and the
// current findings; new findings go to the callbacks (SeriesRouter::onFinding: forecast gauges,
// counters, a reconcile of the covering policies). A series' view or history is read from its
// agent when asked (GET /v1/series): an incident's evidence, sizing. So the controller holds the
// pod cache and the findings, not the series: those live on the nodes, one agent each.
//
// Trust, as for samples (agent_client.h): the agent's certificate is verified (per node with
// {node} in the server name), and an agent is believed only about the pods assigned to it, which
// are the pods the API server places on its node; a finding dated beyond the controller's clock
// (maxFutureSkewSeconds) is refused.
//
// An agent that answers the route with 404 or 405 does not detect (an older agent, or one
// started without --detection): refused(node) says so, and AgentSource reads its raw samples
// instead; asked again every 5 minutes (an upgrade). An agent that cannot be reached keeps its
// last findings for their time to live; its pods' last samples age, and they count as
// unobserved after the grace.
//
// Thread safety: start()/stop() from one thread; the rest from any. Callbacks are called from the
// polling threads without locks held.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "controllers/reconcile/detection_wire.h"
#include "controllers/reconcile/usage_hub.h"
#include "controllers/sources/agent_client.h"
#include "controllers/sources/agent_endpoint.h"
#include "controllers/sources/usage_source.h"
#include "operator/kube/cluster_config.h"
#include "operator/runtime/periodic_task.h"
#include "operator/util/clock.h"
#include "operator/util/log_throttle.h"

namespace lg::reconcile {

// An assignment's generation: a hash of its content, never 0 (the same for every replica of the
// controller that works out the same assignment).
std::uint64_t assignmentGeneration(const DetectionAssignment& a);

struct AgentDetectionOptions {
  std::function<std::vector<sources::AgentEndpoint>()> endpoints;
  // The bearer token; default (empty): read tokenFile (re-read when it rotates).
  kube::TokenSource token;
  std::string tokenFile = "/var/run/secrets/leakguard/agent/token";
  sources::AgentClientOptions client;
  std::chrono::seconds interval{10};
  int parallelism = 4;
  // The assignments of these nodes' agents (SeriesRouter::assignments).
  std::function<std::map<std::string, DetectionAssignment>(const std::set<std::string>& nodes)>
      assignments;
  // Whether the caches the assignments are worked out from are whole (synced). Until then none
  // is worked out or sent: an assignment from a cache still listing would take from an agent
  // the series (and their hours of history) of the pods not listed yet. Unset: always.
  std::function<bool()> ready;
  // Assignments are worked out again when a node is said to have changed (nodeChanged), and
  // at least this often.
  std::chrono::seconds reassignEvery{60};
  double findingTtlSeconds = 1800;
  double maxFutureSkewSeconds = 30;
  // Pods an agent now detects for: the controller's own hub forgets their series.
  std::function<void(const std::string& podUid)> assigned;
};

struct AgentDetectionStatus {
  std::size_t agents = 0;     // endpoints with a node in the last round
  std::size_t detecting = 0;  // of them, answered with a report
  std::size_t refusing = 0;   // of them, do not detect (404/405): their samples are read
  std::size_t pods = 0;       // pods assigned to agents
  std::size_t findings = 0;   // current findings held
  std::uint64_t reports = 0;  // reports received since start
  std::string lastError;      // the last failure, "" if the last round had none
};

class AgentDetection final : public sources::UsageSource, public UsageReader {
 public:
  AgentDetection(Clock& clock, AgentDetectionOptions opts);
  ~AgentDetection() override;

  // Called (outside the lock) for every finding newer than the one known for its series.
  void onFinding(UsageHub::FindingCallback cb);

  std::string name() const override { return "node agent detection"; }
  // Creates the client (reads the CA file). Error: unreadable CA file.
  Status init();
  Status start() override;
  void stop() override;
  void pollOnce() override;

  // The assignment of `node` is worked out again at the next round (its pods or a policy
  // changed).
  void nodeChanged(const std::string& node);
  void everyNodeChanged();
  // Whether the agent of `node` said it does not detect (its samples are read instead).
  bool refused(const std::string& node) const;
  // Whether the series of pods on `node` are judged by its agent (an agent is known there and
  // has not refused).
  bool detects(const std::string& node) const;
  // Whether `podUid` is assigned to an agent.
  bool holds(const std::string& podUid) const;
  AgentDetectionStatus status() const;

  // UsageReader. view and history ask the pod's agent (one request, under the client's
  // deadline); nothing when the pod is not assigned or its agent does not answer.
  std::optional<SeriesView> view(const SeriesKey& key) const override;
  std::vector<std::pair<SeriesKey, SeriesView>> currentFindings(const std::string& podUid,
                                                                double now) const override;
  std::optional<double> lastSampleTime(const std::string& podUid) const override;
  std::vector<std::pair<double, double>> history(const SeriesKey& key) const override;
  std::optional<detect::SizingSeries> sizingSeries(
      const SeriesKey& key, const detect::SizingOptions& opts) const override;

 private:
  enum class Support { kUnknown, kYes, kNo };
  struct Agent {
    sources::AgentEndpoint ep;
    Support support = Support::kUnknown;
    double refusedAt = 0;
    std::string epoch;
    std::uint64_t sentGeneration = 0;   // of the last assignment sent
    std::uint64_t ackedGeneration = 0;  // what the agent last said it follows
    bool dirty = true;
    double assignedAt = 0;
    std::map<SeriesKey, SeriesView> findings;
    std::vector<std::string> uids;  // of the pods assigned to it, ascending
    bool answered = false;          // its last poll got a report
  };
  struct PodEntry {
    std::string node;
    double lastSample = 0;  // 0: none reported
  };
  // What one agent's round needs from the lock-held state, and what it brings back.
  struct Round {
    sources::AgentEndpoint ep;
    std::optional<DetectionAssignment> assignment;  // worked out this round
    std::string error;
  };

  std::vector<Round> plan(const std::vector<sources::AgentEndpoint>& eps, double now);
  void pollAgent(Round& round, const std::string& token, double now);
  Result<DetectionReport> post(const sources::AgentEndpoint& ep, const DetectionRequest& req,
                               const std::string& token) const;
  void take(const sources::AgentEndpoint& ep, const DetectionReport& report, double now);
  void assignPods(const std::string& node, const DetectionAssignment& a);
  std::optional<sources::AgentEndpoint> endpointOf(const std::string& podUid) const;
  // GET of `target` from the agent of the pod; nullopt (logged) when it cannot be had.
  std::optional<std::string> fetch(const std::string& podUid, const std::string& target) const;
  // fetch(), then `parse` (a Result), logging `what` when it cannot be read.
  template <typename T, typename Parse>
  std::optional<T> fetchParsed(const std::string& podUid, const std::string& target, Parse parse,
                               const char* what) const;
  std::optional<SeriesReading> read(const SeriesKey& key, bool withHistory) const;
  bool canAssign() const;
  std::string currentToken() const;

  Clock& clock_;
  AgentDetectionOptions opts_;
  std::unique_ptr<sources::AgentClient> client_;
  mutable LogThrottle fetchLog_;

  mutable std::mutex mu_;
  std::map<std::string, Agent> agents_;             // by node
  std::unordered_map<std::string, PodEntry> pods_;  // by pod uid
  std::vector<UsageHub::FindingCallback> callbacks_;
  AgentDetectionStatus status_;

  runtime::PeriodicTask task_;  // pollOnce every interval
};

}  // namespace lg::reconcile
