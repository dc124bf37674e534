#pragma once
// AgentSource: the controller's side of the node agents. Every interval it asks each agent for
// the samples taken since the last ones it got (GET /v1/samples?since=<next>), and turns them
// into UsageHub samples (Source::kAgent):
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
// timeout per interval and never stalls the others. See agent_client.h for the trust model.
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
#include "controllers/reconcile/usage_hub.h"
#include "controllers/sources/agent_client.h"
#include "controllers/sources/agent_endpoint.h"
#include "operator/kube/cluster_config.h"
#include "operator/util/clock.h"

namespace lg::sources {

// The UsageHub samples of one agent sample (0 to 3).
std::vector<reconcile::UsageSample> toUsageSamples(const agent::AgentSample& s);

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
};

struct AgentSourceStatus {
  std::size_t agents = 0;     // endpoints in the last round
  std::size_t reachable = 0;  // of them, answered with samples
  std::uint64_t samples = 0;  // agent samples received since start
  std::uint64_t dropped = 0;  // samples the agents overwrote before we read them
  std::string lastError;      // the last failure, "" if the last round had none
};

class AgentSource {
 public:
  using Sink = std::function<void(const reconcile::UsageSample&)>;

  AgentSource(Clock& clock, AgentSourceOptions opts, Sink sink);
  ~AgentSource();

  // Creates the client (reads the CA file). Error: unreadable CA file.
  Status init();
  void start();
  void stop();
  // One round over the current endpoints, synchronously (tests; the loop calls it).
  void pollOnce();
  AgentSourceStatus status() const;

 private:
  struct AgentState {
    std::string epoch;
    std::uint64_t next = 0;
  };
  // Polls one agent; returns "" or the error.
  std::string pollAgent(const AgentEndpoint& ep, const std::string& token, AgentState& state,
                        std::uint64_t& samples, std::uint64_t& dropped);
  void loop();

  Clock& clock_;
  AgentSourceOptions opts_;
  Sink sink_;
  std::unique_ptr<AgentClient> client_;
  std::map<std::string, AgentState> agents_;  // by host:port; only the polling round touches it

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
  AgentSourceStatus status_;
};

}  // namespace lg::sources
