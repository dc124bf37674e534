#pragma once
// ControllerProcess: the parts of `leakguard controller` and how they are joined, in the order
// they are built (and, reversed, torn down). The Manager runs every part that runs: informers,
// controllers, the usage sources, the housekeeping tasks (runtime/runnable.h).
//
//   caches      LeakPolicies, Pods, ReplicaSets, LeakIncidents (and the agent pods, the agents'
//               CSRs) as informers of the Manager;
//   usage       metrics-server and the node agents (sources::UsageSource) -> UsageHub, which
//               follows what SeriesRouter says and raises findings; with --agent-detection the
//               agents judge their own nodes' series (AgentDetection) and the hub only the
//               rest (CombinedUsage reads both);
//   decisions   PolicyReconciler (status, incidents, playbooks through the PlaybookExecutor),
//               NodeTaintReconciler, AgentCertificateSigner;
//   upkeep      a PeriodicTask refreshes gauges, ages idle series out and writes Events.
//
// Thread safety: built and run from one thread; the parts are thread-safe where they meet.

#include <memory>
#include <optional>
#include <string>

#include "controllers/actions/action_registry.h"
#include "controllers/actions/background_runner.h"
#include "controllers/actions/beast_http_fetcher.h"
#include "controllers/actions/playbook_executor.h"
#include "controllers/agent/certificate_authority.h"
#include "controllers/reconcile/agent_certificate_signer.h"
#include "controllers/reconcile/agent_detection.h"
#include "controllers/reconcile/cached_objects.h"
#include "controllers/reconcile/combined_usage.h"
#include "controllers/reconcile/detector_settings.h"
#include "controllers/reconcile/forecast_gauges.h"
#include "controllers/reconcile/node_taint_reconciler.h"
#include "controllers/reconcile/policy_gauges.h"
#include "controllers/reconcile/policy_reconciler.h"
#include "controllers/reconcile/series_router.h"
#include "controllers/reconcile/usage_hub.h"
#include "controllers/sources/agent_endpoint.h"
#include "controllers/sources/agent_source.h"
#include "controllers/sources/metrics_server_source.h"
#include "operator/cli/controller_command.h"
#include "operator/kube/events.h"
#include "operator/runtime/manager.h"
#include "operator/runtime/periodic_task.h"
#include "operator/runtime/pod_projection.h"
#include "operator/util/log_throttle.h"

namespace lg::cli {

class ControllerProcess {
 public:
  ControllerProcess(const ControllerFlags& flags, kube::ApiClient& api, Clock& clock,
                    runtime::ManagerOptions managerOptions, const std::string& identity);
  ControllerProcess(const ControllerProcess&) = delete;
  ControllerProcess& operator=(const ControllerProcess&) = delete;

  runtime::Manager& manager() { return mgr_; }
  // Checks what the flags ask for and joins the parts; 0, or the exit code after logging why.
  int wire();
  // Until a signal or lost leadership; the exit code.
  int run();

 private:
  void addCaches();
  int addUsage();
  int addAgentDetection(runtime::Informer<sources::AgentPodObject>& agentPods);
  int addAgentSigner();
  void addPlaybooks();
  void addReconcilers();
  void addHousekeeping();
  void countRefusedSeries(runtime::CounterFamily& counter);
  void flushEvents();

  const ControllerFlags& flags_;
  kube::ApiClient& api_;
  Clock& clock_;
  const std::string identity_;
  // This install's identity: its Lease (two Helm releases have two). What it marks as its own
  // (the tainted-node label) is told apart from another install's by it.
  const std::string install_;
  runtime::Manager mgr_;
  runtime::CounterFamily& findingsTotal_;

  actions::BeastHttpFetcher diagnosticsFetcher_;
  actions::ActionRegistry actionRegistry_;
  runtime::Informer<reconcile::PolicyObject>* policies_ = nullptr;
  runtime::Informer<runtime::PodProjection>* pods_ = nullptr;
  runtime::Informer<reconcile::ReplicaSetObject>* replicaSets_ = nullptr;
  runtime::Informer<reconcile::IncidentObject>* incidents_ = nullptr;
  kube::EventRecorder events_;
  LogThrottle eventErrors_{clock_, std::chrono::minutes(1)};
  LogThrottle seriesLimitLog_{clock_, std::chrono::minutes(10)};
  std::uint64_t refusedCounted_ = 0;  // hub_.refusedSamples() already counted

  reconcile::DetectorSettings settings_;
  reconcile::UsageHub hub_;
  reconcile::ForecastGauges forecast_;
  std::optional<reconcile::SeriesRouter> router_;
  std::optional<sources::MetricsServerSource> metricsSource_;
  std::optional<sources::AgentSource> agentSource_;
  // --agent-detection: the agents judge their nodes' series; the reconcilers read both.
  std::optional<reconcile::AgentDetection> agentDetection_;
  std::optional<reconcile::CombinedUsage> combinedUsage_;
  std::optional<agent::CertificateAuthority> agentCa_;
  std::optional<reconcile::AgentCertificateSigner> agentSigner_;

  actions::BackgroundRunner diagnosticsRunner_;
  std::optional<actions::PlaybookExecutor> executor_;
  reconcile::PolicyGauges policyGauges_;
  std::optional<reconcile::PolicyReconciler> reconciler_;
  runtime::WorkQueue* policyQueue_ = nullptr;
  std::optional<reconcile::NodeTaintReconciler> nodeTaints_;
  std::optional<runtime::PeriodicTask> housekeeping_;
};

}  // namespace lg::cli
