#pragma once
// NodeAgent: `leakguard agent`'s engine. Follows the pods of one node through the API (a pod
// informer with field selector spec.nodeName=<node>), finds each container's cgroup, samples
// them every interval into a bounded SampleRing, counts OOM kills (kernel log and cgroup
// counters), and answers GET /v1/samples from the ring.
//
// Own cost (the agent must not be what leaks): per interval one directory listing per pod only
// when a container's cgroup is not yet known, about ten small file reads per container, and per
// process in it a stat of /proc/<pid>/fd and a read of /proc/<pid>/status (limits at most once a
// minute per process). Buffers are reused. Memory is bounded by bufferSamples.
//
// Served (AgentServer, registerRoutes()):
//   GET /v1/samples?since=<seq>&limit=<n>  (authenticated)
//       {"node":..,"epoch":..,"next":..,"dropped":..,"more":..,"samples":[<agent samples>]}
//   GET /metrics  (authenticated)  the agent's own metrics (no per-pod series)
//   GET /healthz  (open)           "ok" while sampling passes keep completing
//
// Thread safety: init()/start()/stop() from one thread. sampleOnce() runs on the sampling
// thread (or a test's, when not started). samplesPage()/healthy()/metrics() from any thread.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "controllers/agent/agent_pod.h"
#include "controllers/agent/agent_server.h"
#include "controllers/agent/cgroup_layout.h"
#include "controllers/agent/cgroup_sampler.h"
#include "controllers/agent/kernel_oom_watcher.h"
#include "controllers/agent/oom_kill_tracker.h"
#include "controllers/agent/pod_cgroup_finder.h"
#include "controllers/agent/sample_ring.h"
#include "operator/kube/api_client.h"
#include "operator/runtime/informer.h"
#include "operator/runtime/metrics_registry.h"
#include "operator/runtime/runnable.h"
#include "operator/util/clock.h"

namespace lg::agent {

struct NodeAgentOptions {
  std::string nodeName;
  // Sample only pods of these namespaces (one pod watch per namespace, so Roles suffice);
  // empty: every pod of the node.
  std::vector<std::string> namespaces;
  std::string cgroupRoot = "/sys/fs/cgroup";
  std::string procRoot = "/proc";
  std::string kubepodsPath;            // cgroup path of kubepods; "" searches for it
  std::string kmsgPath = "/dev/kmsg";  // "" : OOM kills from cgroup counters only
  // The host's /var/log/containers: the pods come from the kubelet's log links
  // (kubelet_pod_lister.h) and the agent reads no pod from the API. "": a pod informer
  // (field selector spec.nodeName) as before.
  std::string containerLogLinks;
  std::chrono::milliseconds interval{10000};
  std::size_t bufferSamples = 8192;
  std::size_t maxPageSamples = 5000;
  // Sees every sample as it is taken, on the sampling thread (detection on the agent:
  // reconcile/node_detector.h); must be quick.
  std::function<void(const AgentSample&)> onSample;
};

// A route served beside /v1/samples, with the same authentication (detection's routes).
struct AgentRoute {
  std::string path;
  bool post = false;
  AgentServer::Handler handler;
};

class NodeAgent final : public runtime::Runnable {
 public:
  using PodList = std::vector<std::shared_ptr<const AgentPod>>;

  NodeAgent(kube::ApiClient& api, Clock& clock, NodeAgentOptions opts);
  ~NodeAgent() override;  // stop()
  NodeAgent(const NodeAgent&) = delete;
  NodeAgent& operator=(const NodeAgent&) = delete;

  // Finds the cgroup hierarchy and opens the kernel log (a log it cannot read is logged; OOM
  // kills then come from cgroup counters only). Error: no cgroup hierarchy at the root.
  Status init();
  std::string name() const override { return "node agent"; }
  // Starts the pod informer and the sampling thread (a pass every interval); init() first if it
  // has not been called.
  Status start() override;
  void stop() override;

  // One sampling pass over `pods`; returns the samples taken. After init().
  std::size_t sampleOnce(const PodList& pods);

  // The JSON body of GET /v1/samples.
  std::string samplesPage(std::uint64_t since, std::size_t max) const;
  // /healthz, /metrics, /v1/samples and `extra` on `server`; all but /healthz only for callers
  // that `authenticate` accepts.
  void registerRoutes(AgentServer& server, std::function<AuthResult(std::string_view)> authenticate,
                      std::vector<AgentRoute> extra = {});

  bool healthy() const;
  const std::string& epoch() const { return epoch_; }
  const SampleRing& ring() const { return ring_; }
  runtime::MetricsRegistry& metrics() { return metrics_; }
  const CgroupLayout* layout() const { return sampler_ ? &sampler_->layout() : nullptr; }
  bool kernelLogOpen() const { return kmsg_ && kmsg_->isOpen(); }
  // The informer (after start()), e.g. to wait for its first list.
  runtime::Informer<AgentPod>* informer() { return informer_.get(); }

 private:
  void loop();
  void processKernelLog();
  std::shared_ptr<const ContainerIdentity> identity(const AgentPod& pod, const AgentContainer& c);
  void updateSelfMetrics();

  kube::ApiClient& api_;
  Clock& clock_;
  NodeAgentOptions opts_;
  std::string epoch_;
  SampleRing ring_;
  runtime::MetricsRegistry metrics_;

  // Sampling-thread state.
  std::unique_ptr<CgroupSampler> sampler_;
  std::unique_ptr<PodCgroupFinder> finder_;
  std::unique_ptr<KernelOomWatcher> kmsg_;
  OomKillTracker oomKills_;
  std::unordered_map<std::string, std::shared_ptr<const ContainerIdentity>> identities_;
  Clock::steady_time_point lastRefresh_{};
  Clock::steady_time_point lastFinderWarning_{};
  ReadProblems problems_;

  std::unique_ptr<runtime::Informer<AgentPod>> informer_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::atomic<std::int64_t> lastPassNs_{0};  // steady clock, since its epoch
  std::atomic<std::int64_t> startedNs_{0};

  // Metrics (owned by metrics_).
  runtime::Counter* passes_;
  runtime::Histogram* passSeconds_;
  runtime::Gauge* containers_;
  runtime::Counter* samplesTotal_;
  runtime::Gauge* bufferSamples_;
  runtime::Gauge* bufferOverwritten_;
  runtime::Counter* readProblems_;
  runtime::Counter* kernelOomKills_;
  runtime::Gauge* residentBytes_;
  runtime::Gauge* cpuSeconds_;
};

}  // namespace lg::agent
