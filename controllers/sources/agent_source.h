#pragma once
// AgentSource: the controller's side of the node agents. Every interval it asks each agent for
// the samples taken since the last ones it got (GET /v1/samples?since=<next>), and turns them
// into UsageSamples (Source::kAgent) for its UsageSink:
//   memory  = anon + shmem (what the kernel cannot reclaim; DESIGN.md "What memory counts"),
//             limit = the container cgroup's memory limit
//   fds     = open fds of the container's process holding the most (RLIMIT_NOFILE is per
//             process), limit = that process's soft RLIMIT_NOFILE
//   threads = threads of all the container's processes, limit = pids.max (0 when "max")
// A sample whose value is null gives nothing for that resource; a container that is not running
// gives nothing at all.
//
// Per agent it remembers the agent's epoch and the next sequence number; a new epoch (the agent
// restarted) starts over from its oldest sample. Agents are polled by up to `parallelism`
// threads at a time, each request under the client's deadline, so a dead agent costs one
// timeout per interval and never stalls the others. See agent_client.h for the trust model:
// the agent's certificate is verified, and an agent is believed only about the pods the API
// server places on its node, and only up to the controller's clock (podNode, below).
// No endpoints (no agent installed): nothing happens.
//
// Thread safety: start()/stop() from one thread; status() from any. The sink is called from the
// polling threads concurrently and must be thread-safe (UsageHub::ingest is).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "controllers/agent/agent_sample.h"
#include "controllers/sources/agent_client.h"
#include "controllers/sources/agent_endpoint.h"
#include "controllers/sources/usage_source.h"
#include "operator/kube/cluster_config.h"
#include "operator/runtime/metrics_registry.h"
#include "operator/util/clock.h"
#include "operator/util/log_throttle.h"

namespace lg::sources {

// The UsageSamples of one agent sample (0 to 3).
std::vector<UsageSample> toUsageSamples(const agent::AgentSample& s);

// A runtime's heap cap worked out from the command line alone (the agent could not read the
// process's environment): kept, and said so, when the container's spec sets no variable that
// carries heap options; dropped otherwise (what the environment sets is unseen).
void judgeRuntimeCap(UsageSample& u, bool specMaySetOptions);

struct AgentSourceOptions {
  std::function<std::vector<AgentEndpoint>()> endpoints;
  // The bearer token; thread-safe. Default (empty): read tokenFile (re-read when it rotates).
  kube::TokenSource token;
  std::string tokenFile = "/var/run/secrets/leakguard/agent/token";
  AgentClientOptions client;
  std::chrono::seconds interval{10};
  int parallelism = 4;
  std::size_t pageSize = 5000;
  int maxPagesPerPoll = 10;  // a backlog is caught up over several intervals beyond this
  // Where the API server says a pod runs: the node of the pod of this namespace, name and uid
  // (the controller's pod cache), nullopt when the cache has no such pod. Set, an agent is
  // believed only for the pods of its own node (its endpoint's node: where the API server says
  // the agent pod runs, not what the agent says): samples for a pod of another node, or for a
  // pod the cache does not know, are refused and counted. Unset, or for an endpoint without a
  // node (a static --agent-endpoint), every sample is taken.
  std::function<std::optional<std::string>(const std::string& ns, const std::string& pod,
                                           const std::string& podUid)>
      podNode;
  // Whether the spec of this pod's container may set a runtime's heap options in its
  // environment (runtime::ContainerProjection::runtimeOptionsInSpec); true when the pod is not
  // known. A runtime's heap cap worked out without the process's environment (the agent could
  // not read it) is believed only where this says no. Unset: never believed.
  std::function<bool(const std::string& ns, const std::string& pod, const std::string& podUid,
                     const std::string& container)>
      runtimeOptionsInSpec;
  // Samples dated more than this after the controller's clock are refused: a node whose clock
  // runs ahead would otherwise freeze its series (a later sample must be newer).
  double maxFutureSkewSeconds = 30;
  // Refused samples are counted here, when given:
  // leakguard_agent_samples_refused_total{reason="other_node"|"unknown_pod"|"future"}.
  runtime::MetricsRegistry* metrics = nullptr;
};

struct AgentSourceStatus {
  std::size_t agents = 0;        // endpoints in the last round
  std::size_t reachable = 0;     // of them, answered with samples
  std::uint64_t samples = 0;     // agent samples received since start
  std::uint64_t dropped = 0;     // samples the agents overwrote before we read them
  std::uint64_t otherNode = 0;   // refused: the pod runs on another node than the agent's
  std::uint64_t unknownPod = 0;  // refused: no pod of that namespace, name and uid is known
  std::uint64_t future = 0;      // refused: dated beyond maxFutureSkewSeconds from now
  std::string lastError;         // the last failure, "" if the last round had none
};

class AgentSource final : public UsageSource {
 public:
  AgentSource(Clock& clock, AgentSourceOptions opts, UsageSink sink);
  ~AgentSource() override;

  std::string name() const override { return "node agent source"; }
  // Creates the client (reads the CA file). Error: unreadable CA file. start() calls it when
  // it has not been called.
  Status init();
  Status start() override;
  void stop() override;
  // One round over the current endpoints, synchronously (tests; the loop calls it).
  void pollOnce() override;
  AgentSourceStatus status() const;

 private:
  struct AgentState {
    std::string epoch;
    std::uint64_t next = 0;
  };
  // What one polling round counts, from its threads.
  struct RoundCounts {
    std::atomic<std::uint64_t> samples{0}, dropped{0}, otherNode{0}, unknownPod{0}, future{0};
    std::atomic<bool> backlog{false};  // some agent had more than a page to give
  };
  enum class Refusal { kNone, kOtherNode, kUnknownPod, kFuture };
  // The state of each of `eps`, in their order; agents no longer among them are forgotten.
  std::vector<AgentState*> keepStates(const std::vector<AgentEndpoint>& eps);
  // Polls one agent; returns "" or the error.
  std::string pollAgent(const AgentEndpoint& ep, const std::string& token, AgentState& state,
                        RoundCounts& counts);
  // Whether a sample from the agent at `ep` is believed (see AgentSourceOptions::podNode).
  Refusal judge(const AgentEndpoint& ep, const agent::AgentSample& s, double now) const;
  void refused(const AgentEndpoint& ep, const agent::AgentSample& s, Refusal why,
               RoundCounts& counts);
  void loop();

  Clock& clock_;
  AgentSourceOptions opts_;
  UsageSink sink_;
  LogThrottle refusalLog_;
  runtime::CounterFamily* refusedTotal_ = nullptr;
  std::unique_ptr<AgentClient> client_;
  std::map<std::string, AgentState> agents_;  // by host:port; only the polling round touches it

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
  AgentSourceStatus status_;
};

}  // namespace lg::sources
