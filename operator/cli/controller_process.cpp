#include "operator/cli/controller_process.h"

#include <thread>

#include "controllers/actions/default_actions.h"
#include "controllers/agent/certificate_request.h"
#include "controllers/policy/api_resources.h"
#include "controllers/policy/duration.h"
#include "controllers/reconcile/controller_permissions.h"
#include "operator/cli/rbac_command.h"
#include "operator/runtime/event_handler.h"
#include "operator/util/logger.h"

namespace lg::cli {

using reconcile::IncidentObject;
using reconcile::PolicyObject;
using reconcile::ReplicaSetObject;
using runtime::PodProjection;

ControllerProcess::ControllerProcess(const ControllerFlags& flags, kube::ApiClient& api,
                                     Clock& clock, runtime::ManagerOptions managerOptions,
                                     const std::string& identity)
    : flags_(flags),
      api_(api),
      clock_(clock),
      identity_(identity),
      install_(flags.leaseNamespace + "/" + flags.leaseName),
      mgr_(api, clock, std::move(managerOptions)),
      findingsTotal_(mgr_.metrics().counter("leakguard_findings_total",
                                            "Leak findings raised by the detectors",
                                            {"resource", "policy", "namespace"})),
      events_(api, {.reportingInstance = identity}),
      // The hub follows only what some policy covers (SeriesRouter::optionsFor).
      hub_({.optionsFor =
                [this](const reconcile::UsageSample& s) {
                  return router_ ? router_->optionsFor(s) : nullptr;
                },
            .maxSeries = flags.maxSeries}),
      // One series per live leak; its time to live is the findings' own.
      forecast_(mgr_.metrics(), reconcile::UsageHubOptions{}.findingTtlSeconds),
      // captureDiagnostics off the reconcile workers: 2 at a time, one per policy, 32 waiting.
      diagnosticsRunner_(2, 32),
      policyGauges_(mgr_.metrics()) {}

int ControllerProcess::wire() {
  // The playbook actions: a policy's steps are checked against them as the policy is cached.
  actions::registerDefaultActions(actionRegistry_, diagnosticsFetcher_);
  if (auto enabled = enableActions(actionRegistry_, flags_.actions); !enabled) {
    LG_LOG(error, "cannot start", {{"error", enabled.error().message}});
    return 2;
  }
  addCaches();
  if (int rc = addUsage(); rc != 0) return rc;
  if (int rc = addAgentSigner(); rc != 0) return rc;
  addPlaybooks();
  addReconcilers();
  addHousekeeping();
  return 0;
}

int ControllerProcess::run() {
  const Status st = mgr_.run();
  flushEvents();  // what the diagnostics runner's last jobs recorded
  if (!st.ok()) {
    LG_LOG(error, "controller stopped", {{"error", st.error().message}});
    return 1;
  }
  LG_LOG(info, "controller stopped");
  return 0;
}

// Events are best effort, but a write that keeps failing (RBAC on events.k8s.io taken away, the
// API server refusing them) is said, at most once a minute, rather than swallowed.
void ControllerProcess::flushEvents() {
  if (auto st = events_.flush(); !st.ok())
    if (auto held = eventErrors_.admit())
      LG_LOG(warn, "cannot write Events", {{"error", st.error().message}, {"suppressed", *held}});
}

void ControllerProcess::addCaches() {
  const auto& ns = flags_.namespaces;
  policies_ = &mgr_.addInformer<PolicyObject>(
      {.resource = policy::leakPoliciesRef()},
      [this](const nlohmann::json& j) { return reconcile::projectPolicy(j, actionRegistry_); }, ns);
  policies_->addIndex("namespace", [](const PolicyObject& p) { return std::vector{p.ns}; });
  // The caches that grow with the cluster may list by streaming (--streaming-lists).
  pods_ = &mgr_.addInformer<PodProjection>(
      {.resource = {.version = "v1", .resource = "pods"}, .streamingList = flags_.streamingLists},
      [](const kube::ObjectView& v) { return runtime::projectPod(v); }, ns);
  pods_->addIndex("namespace", runtime::podNamespaceIndex);
  replicaSets_ = &mgr_.addInformer<ReplicaSetObject>(
      {.resource = {.group = "apps", .version = "v1", .resource = "replicasets"},
       .streamingList = flags_.streamingLists},
      reconcile::projectReplicaSet, ns);
  incidents_ = &mgr_.addInformer<IncidentObject>({.resource = policy::leakIncidentsRef()},
                                                 reconcile::projectIncident, ns);
  incidents_->addIndex("policy",
                       [](const IncidentObject& i) { return std::vector{i.ns + "/" + i.policy}; });
}

// Every replica follows usage, so that a new leader starts with warm detectors.
int ControllerProcess::addUsage() {
  const sources::PodLookup podLookup = [this](const std::string& ns, const std::string& name) {
    return pods_->store().get(ns + "/" + name);
  };
  const sources::UsageSink toHub = [this](const sources::UsageSample& s) { hub_.ingest(s); };
  metricsSource_.emplace(api_, clock_, flags_.metricsInterval, podLookup, toHub, flags_.namespaces);
  mgr_.add(*metricsSource_);

  // The node agents: those of the agent pods in agentNamespace.
  auto& agentPods = mgr_.addInformer<sources::AgentPodObject>(
      {.resource = {.version = "v1", .resource = "pods", .ns = flags_.agentNamespace},
       .labelSelector = sources::kAgentPodSelector,
       .name = "agent-pods"},
      sources::projectAgentPodObject);
  const auto port = static_cast<std::uint16_t>(flags_.agentPort);
  if (int rc = addAgentDetection(agentPods); rc != 0) return rc;
  agentSource_.emplace(
      clock_,
      sources::AgentSourceOptions{
          // With --agent-detection, samples are read only from agents that do not detect.
          .endpoints =
              [this, &agentPods, port] {
                auto eps = sources::agentEndpoints(agentPods.store().list(), port);
                if (agentDetection_)
                  std::erase_if(eps, [this](const sources::AgentEndpoint& ep) {
                    return !ep.node.empty() && !agentDetection_->refused(ep.node);
                  });
                return eps;
              },
          .tokenFile = flags_.agentTokenFile,
          .client = {.caFile = flags_.agentCaFile, .serverName = flags_.agentServerName},
          // An agent speaks only for the pods the API server places on its node.
          .podNode = [podLookup](const std::string& ns, const std::string& pod,
                                 const std::string& podUid) -> std::optional<std::string> {
            auto p = podLookup(ns, pod);
            if (!p || p->uid.str() != podUid) return std::nullopt;
            return p->nodeName.str();
          },
          .runtimeOptionsInSpec =
              [podLookup](const std::string& ns, const std::string& pod, const std::string& podUid,
                          const std::string& container) {
                auto p = podLookup(ns, pod);
                if (!p || p->uid.str() != podUid) return true;
                for (const auto& c : p->containers)
                  if (c.name.str() == container) return c.runtimeOptionsInSpec;
                return true;
              },
          .metrics = &mgr_.metrics()},
      toHub);
  // An unreadable --agent-ca-file stops the controller before anything starts.
  if (auto st = agentSource_->init(); !st) {
    LG_LOG(error, "cannot set up the node agent source", {{"error", st.error().message}});
    return 1;
  }
  mgr_.add(*agentSource_);
  return 0;
}

// --agent-detection: each agent judges its node's series (AgentDetection); the controller's
// hub keeps only the series of pods no detecting agent holds.
int ControllerProcess::addAgentDetection(runtime::Informer<sources::AgentPodObject>& agentPods) {
  if (!flags_.agentDetection) return 0;
  const auto port = static_cast<std::uint16_t>(flags_.agentPort);
  agentDetection_.emplace(
      clock_,
      reconcile::AgentDetectionOptions{
          .endpoints = [&agentPods,
                        port] { return sources::agentEndpoints(agentPods.store().list(), port); },
          .tokenFile = flags_.agentTokenFile,
          .client = {.caFile = flags_.agentCaFile, .serverName = flags_.agentServerName},
          .assignments =
              [this](const std::set<std::string>& nodes) {
                return router_ ? router_->assignments(nodes)
                               : std::map<std::string, reconcile::DetectionAssignment>{};
              },
          // Coverage reads the pods, the policies and (workloadRef) the ReplicaSets.
          .ready =
              [this] {
                return pods_->hasSynced() && policies_->hasSynced() && replicaSets_->hasSynced();
              },
          .findingTtlSeconds = reconcile::UsageHubOptions{}.findingTtlSeconds,
          .assigned = [this](const std::string& uid) { hub_.forgetPod(uid); }});
  if (auto st = agentDetection_->init(); !st) {
    LG_LOG(error, "cannot set up detection on the node agents", {{"error", st.error().message}});
    return 1;
  }
  combinedUsage_.emplace(hub_, *agentDetection_);
  mgr_.add(*agentDetection_);
  return 0;
}

// The agents' per-node serving certificates: the leader approves and signs their CSRs.
int ControllerProcess::addAgentSigner() {
  if (flags_.agentSignerCertFile.empty() && flags_.agentSignerKeyFile.empty()) return 0;
  if (flags_.agentSignerCertFile.empty() || flags_.agentSignerKeyFile.empty()) {
    LG_LOG(error, "--agent-signer-cert-file and --agent-signer-key-file go together");
    return 2;
  }
  auto lifetime = policy::parseDuration(flags_.agentCertificateLifetime);
  if (!lifetime || *lifetime < 600) {
    LG_LOG(error, "bad --agent-certificate-lifetime (at least 10m)",
           {{"value", flags_.agentCertificateLifetime}});
    return 2;
  }
  auto ca =
      agent::CertificateAuthority::load(flags_.agentSignerCertFile, flags_.agentSignerKeyFile);
  if (!ca) {
    LG_LOG(error, "cannot load the agents' signing CA", {{"error", ca.error().message}});
    return 1;
  }
  agentCa_.emplace(std::move(*ca));
  auto& csrs = mgr_.addInformer<reconcile::CsrObject>(
      {.resource = {.group = "certificates.k8s.io",
                    .version = "v1",
                    .resource = "certificatesigningrequests"},
       .fieldSelector = std::string("spec.signerName=") + agent::kAgentServingSigner,
       .name = "agent-csrs"},
      reconcile::projectCsr);
  auto& certificatesTotal = mgr_.metrics().counter(
      "leakguard_agent_certificates_total",
      "Node agents' certificate requests: issued, denied (not the agent of the node it "
      "names) or failed (could not be signed)",
      {"outcome"});
  const std::string agentUser =
      flags_.agentUser.empty()
          ? "system:serviceaccount:" + flags_.agentNamespace + ":leakguard-agent"
          : flags_.agentUser;
  agentSigner_.emplace(reconcile::AgentCertificateSignerDeps{
      .api = &api_,
      .clock = &clock_,
      .csrs = &csrs.store(),
      .ca = &*agentCa_,
      .rules = {.agentUser = agentUser,
                .maxLifetime = std::chrono::seconds(static_cast<std::int64_t>(*lifetime))},
      .count = [&certificatesTotal](const std::string& outcome) {
        certificatesTotal.labels({outcome}).inc();
      }});
  auto& signer = mgr_.addController(
      *agentSigner_,
      {.name = "agentcertificates", .workers = 1, .metrics = &mgr_.runtimeMetrics()});
  csrs.addEventHandler(runtime::enqueueOwnKey<reconcile::CsrObject>(signer.queue()));
  return 0;
}

// Playbooks: actions found by name, carried out and journalled.
void ControllerProcess::addPlaybooks() {
  // The leader's: stopped after the controllers, before the Lease is released (its jobs use the
  // executor, the API client and the queue).
  mgr_.add(diagnosticsRunner_);
  auto& actionsTotal = mgr_.metrics().counter(
      "leakguard_actions_total",
      "Playbook action outcomes (Started, Succeeded, Failed, Skipped, Observed)",
      {"action", "outcome"});
  executor_.emplace(actions::ExecutorOptions{
      .api = &api_,
      .registry = &actionRegistry_,
      .events = &events_,
      .count =
          [&actionsTotal](const std::string& action, const std::string& outcome) {
            actionsTotal.labels({action, outcome}).inc();
          },
      .apiTimeout = std::chrono::seconds(10),
      .globalEscalationsPerMinute = flags_.maxEscalationsPerMinute,
      .install = install_,
      .pause = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); },
      .background = &diagnosticsRunner_,
      .wake =
          [this](const std::string& key) {
            if (policyQueue_) policyQueue_->add(key);
          },
      .leading = [this] { return mgr_.leading(); }});
}

void ControllerProcess::addReconcilers() {
  reconciler_.emplace(reconcile::PolicyReconcilerDeps{
      .api = &api_,
      .clock = &clock_,
      .hub = combinedUsage_ ? static_cast<const reconcile::UsageReader*>(&*combinedUsage_) : &hub_,
      .policies = &policies_->store(),
      .pods = &pods_->store(),
      .replicaSets = &replicaSets_->store(),
      .incidents = &incidents_->store(),
      .events = &events_,
      .metricsStatus = [this] { return metricsSource_->status(); },
      .resync = flags_.resync,
      .executor = &*executor_,
      .actions = &actionRegistry_,
      .gauges = &policyGauges_});
  auto& controller = mgr_.addController(
      *reconciler_,
      {.name = "leakpolicy", .workers = flags_.workers, .metrics = &mgr_.runtimeMetrics()});
  auto& queue = controller.queue();
  policyQueue_ = &queue;
  const auto covering = [this](const PodProjection& p) { return reconciler_->policiesCovering(p); };
  router_.emplace(
      reconcile::SeriesRouterDeps{.policies = &policies_->store(),
                                  .pods = &pods_->store(),
                                  .policiesCovering = covering,
                                  .hub = &hub_,
                                  .settings = &settings_,
                                  .forecast = &forecast_,
                                  .findingsTotal = &findingsTotal_,
                                  .wake = [&queue](const std::string& k) { queue.add(k); },
                                  .clock = &clock_,
                                  .detectedOnNode =
                                      [this](const std::string& node) {
                                        return agentDetection_ && agentDetection_->detects(node);
                                      }});
  const auto toRouter = [this](const reconcile::SeriesKey& key, const reconcile::SeriesView& view,
                               const detect::Finding& f) { router_->onFinding(key, view, f); };
  hub_.onFinding(toRouter);
  if (agentDetection_) {
    agentDetection_->onFinding(toRouter);
    // A node's assignment is worked out again when its pods or any policy change.
    const auto changed = [this](const std::shared_ptr<const PodProjection>& p) {
      if (p) agentDetection_->nodeChanged(p->nodeName.str());
    };
    pods_->addEventHandler(runtime::EventHandler<PodProjection>{
        .onAdd = [changed](const std::string&, const auto& p) { changed(p); },
        .onUpdate =
            [changed](const std::string&, const auto& old, const auto& p) {
              if (!old || !p || reconcile::assignmentMayChange(*old, *p)) changed(p);
            },
        .onDelete = [changed](const std::string&, const auto& p) { changed(p); }});
    const auto every = [this](auto&&...) { agentDetection_->everyNodeChanged(); };
    policies_->addEventHandler(
        runtime::EventHandler<PolicyObject>{.onAdd = every, .onUpdate = every, .onDelete = every});
  }
  policies_->addEventHandler(runtime::enqueueOwnKey<PolicyObject>(queue));
  policies_->addEventHandler(runtime::EventHandler<PolicyObject>{
      .onDelete = [this](const std::string&, const std::shared_ptr<const PolicyObject>& p) {
        if (p) router_->policyDeleted(*p);
      }});
  pods_->addEventHandler(runtime::enqueueMapped<PodProjection>(queue, covering));
  pods_->addEventHandler(runtime::EventHandler<PodProjection>{
      .onDelete = [this](const std::string&, const std::shared_ptr<const PodProjection>& p) {
        if (p) router_->podDeleted(*p);
      }});
  incidents_->addEventHandler(runtime::enqueueMapped<IncidentObject>(
      queue, [](const IncidentObject& i) { return std::vector{i.ns + "/" + i.policy}; }));

  // Nodes that reschedule tainted are released from the node's side (README, "What LeakGuard
  // guarantees when things fail").
  if (!reconcile::nodeTaintSweepEnabled(actionRegistry_, flags_.nodeAccess)) return;
  nodeTaints_.emplace(reconcile::NodeTaintReconcilerDeps{.api = &api_,
                                                         .clock = &clock_,
                                                         .incidents = &incidents_->store(),
                                                         .every = flags_.resync,
                                                         .install = install_});
  auto& sweeper = mgr_.addController(
      *nodeTaints_, {.name = "nodetaints", .workers = 1, .metrics = &mgr_.runtimeMetrics()});
  sweeper.queue().add(reconcile::NodeTaintReconciler::kKey);
}

// The hub's refusals since the last tick go to the counter; the log says so at most every 10
// minutes while they go on.
void ControllerProcess::countRefusedSeries(runtime::CounterFamily& counter) {
  const std::uint64_t refused = hub_.refusedSamples();
  if (refused <= refusedCounted_) return;
  counter.labels({}).inc(static_cast<double>(refused - refusedCounted_));
  refusedCounted_ = refused;
  if (auto held = seriesLimitLog_.admit())
    LG_LOG(warn, "not following new series: --max-series reached",
           {{"maxSeries", flags_.maxSeries},
            {"samplesRefused", refused},
            {"hint", "raise --max-series (chart: controller.maxSeries) with the memory limit"}});
}

// Gauges refreshed, series of pods gone without a delete event (missed while disconnected)
// aged out, buffered Events written (and written out once more when stopping).
void ControllerProcess::addHousekeeping() {
  auto& trackedSeries = mgr_.metrics().gauge("leakguard_tracked_series",
                                             "Container series followed by the detectors");
  auto& metricsUp = mgr_.metrics().gauge("leakguard_metrics_server_up",
                                         "1 when the last metrics.k8s.io poll succeeded");
  auto& refusedSeries = mgr_.metrics().counter(
      "leakguard_series_refused_total",
      "Usage samples of new series refused because --max-series series are followed");
  // Exported as 0 from the start, so that the first refusals are an increase (the alert's).
  refusedSeries.labels({});
  auto& detectingAgents = mgr_.metrics().gauge(
      "leakguard_detecting_agents",
      "Node agents that detect for their nodes (--agent-detection), by whether the last poll "
      "got their report",
      {"state"});
  auto& agentPods = mgr_.metrics().gauge("leakguard_agent_detected_pods",
                                         "Pods whose series their node's agent judges");
  housekeeping_.emplace(
      runtime::PeriodicTaskOptions{
          .name = "housekeeping",
          .every = std::chrono::seconds(5),
          .tick =
              [this, &trackedSeries, &metricsUp, &refusedSeries, &detectingAgents, &agentPods] {
                trackedSeries.labels({}).set(static_cast<double>(hub_.seriesCount()));
                if (agentDetection_) {
                  const auto st = agentDetection_->status();
                  detectingAgents.labels({"reporting"}).set(static_cast<double>(st.detecting));
                  const std::size_t answered = st.refusing + st.detecting;
                  detectingAgents.labels({"unreachable"})
                      .set(static_cast<double>(st.agents > answered ? st.agents - answered : 0));
                  agentPods.labels({}).set(static_cast<double>(st.pods));
                }
                countRefusedSeries(refusedSeries);
                metricsUp.labels({}).set(metricsSource_->status().available ? 1 : 0);
                flushEvents();
                const double now = toSeconds(clock_.now());
                hub_.forgetIdle(now - 6 * 3600.0);
                forecast_.sweep(now);
              },
          .last = [this] { flushEvents(); }},
      clock_);
  mgr_.add(*housekeeping_);
}

}  // namespace lg::cli
