#include "operator/cli/controller_command.h"

#include <cstdlib>
#include <optional>
#include <string>
#include <thread>

#include "controllers/actions/action_registry.h"
#include "controllers/actions/beast_http_fetcher.h"
#include "controllers/actions/default_actions.h"
#include "controllers/actions/playbook_executor.h"
#include "controllers/agent/certificate_authority.h"
#include "controllers/agent/certificate_request.h"
#include "controllers/policy/duration.h"
#include "controllers/reconcile/agent_certificate_signer.h"
#include "controllers/reconcile/cached_objects.h"
#include "controllers/reconcile/controller_permissions.h"
#include "controllers/reconcile/detector_settings.h"
#include "controllers/reconcile/forecast_gauges.h"
#include "controllers/reconcile/node_taint_reconciler.h"
#include "controllers/reconcile/policy_gauges.h"
#include "controllers/reconcile/policy_reconciler.h"
#include "controllers/reconcile/usage_hub.h"
#include "controllers/sources/agent_endpoint.h"
#include "controllers/sources/agent_source.h"
#include "controllers/sources/metrics_server_source.h"
#include "operator/cli/rbac_command.h"
#include "operator/cli/version.h"
#include "operator/kube/cluster_config.h"
#include "operator/kube/events.h"
#include "operator/kube/http_api_client.h"
#include "operator/runtime/api_request_metrics.h"
#include "operator/runtime/event_handler.h"
#include "operator/runtime/leader_elector.h"
#include "operator/runtime/manager.h"
#include "operator/runtime/pod_projection.h"
#include "operator/runtime/process_metrics.h"
#include "operator/runtime/signal_handler.h"
#include "operator/util/logger.h"

namespace lg::cli {
namespace {

using reconcile::IncidentObject;
using reconcile::PolicyObject;
using reconcile::ReplicaSetObject;
using runtime::PodProjection;

std::string hostIdentity() {
  for (const char* var : {"POD_NAME", "HOSTNAME"})
    if (const char* v = std::getenv(var); v && *v) return v;
  return "leakguard";
}

}  // namespace

int runController(const ControllerFlags& flags) {
  if (auto level = parseLogLevel(flags.logLevel)) Logger::instance().setLevel(*level);
  // Blocks SIGTERM/SIGINT before any thread starts, so the handler thread gets them.
  runtime::SignalHandler signals;
  Clock& clock = SystemClock::instance();

  auto config = kube::loadConfig({.kubeconfigFlag = flags.kubeconfig, .context = flags.context});
  if (!config) {
    LG_LOG(error, "cannot load cluster config", {{"error", config.error().message}});
    return 1;
  }
  runtime::ApiRequestMetrics apiMetrics;  // counts once the registry exists
  auto api = kube::HttpApiClient::create(std::move(*config), {.observe = apiMetrics.observer()});
  if (!api) {
    LG_LOG(error, "cannot create API client", {{"error", api.error().message}});
    return 1;
  }
  const std::string identity =
      flags.identity.empty() ? runtime::makeLeaderIdentity(hostIdentity()) : flags.identity;
  LG_LOG(info, "starting leakguard controller",
         {{"version", versionString()},
          {"identity", identity},
          {"leaderElection", flags.leaderElect},
          {"namespaces",
           flags.namespaces.empty() ? nlohmann::json("*") : nlohmann::json(flags.namespaces)}});

  runtime::ManagerOptions mopts{.health = {.bindAddress = flags.healthAddress},
                                .signals = &signals};
  if (flags.leaderElect) {
    mopts.leaderElection = runtime::LeaderElectorOptions{
        .ns = flags.leaseNamespace, .name = flags.leaseName, .identity = identity};
  }
  runtime::Manager mgr(**api, clock, std::move(mopts));
  auto& metrics = mgr.metrics();
  runtime::registerProcessMetrics(metrics);
  apiMetrics.attach(metrics);
  runtime::registerBuildInfo(metrics, versionNumber(), gitRevision());
  auto& trackedSeries =
      metrics.gauge("leakguard_tracked_series", "Container series followed by the detectors");
  auto& findingsTotal =
      metrics.counter("leakguard_findings_total", "Leak findings raised by the detectors",
                      {"resource", "policy", "namespace"});
  auto& metricsUp =
      metrics.gauge("leakguard_metrics_server_up", "1 when the last metrics.k8s.io poll succeeded");

  reconcile::DetectorSettings settings;
  // Filled in once the stores exist (below); the hub only tracks pods some policy covers.
  std::function<std::shared_ptr<const detect::DetectorOptions>(const reconcile::UsageSample&)>
      optionsFor;
  reconcile::UsageHub hub({.optionsFor = [&](const reconcile::UsageSample& s) {
    return optionsFor ? optionsFor(s) : nullptr;
  }});
  // One series per live leak; its time to live is the findings' own.
  reconcile::ForecastGauges forecast(metrics, reconcile::UsageHubOptions{}.findingTtlSeconds);

  // This install's identity: its Lease (two Helm releases have two). What it marks as its own
  // (the tainted-node label) is told apart from another install's by it.
  const std::string install = flags.leaseNamespace + "/" + flags.leaseName;
  // The playbook actions: a policy's steps are checked against them as the policy is cached.
  actions::BeastHttpFetcher diagnosticsFetcher;
  actions::ActionRegistry actionRegistry;
  actions::registerDefaultActions(actionRegistry, diagnosticsFetcher);
  if (auto enabled = enableActions(actionRegistry, flags.actions); !enabled) {
    LG_LOG(error, "cannot start", {{"error", enabled.error().message}});
    return 2;
  }
  auto& policies = mgr.addInformer<PolicyObject>(
      {.resource = {.group = "leakguard.io", .version = "v1alpha1", .resource = "leakpolicies"}},
      [&actionRegistry](const nlohmann::json& j) {
        return reconcile::projectPolicy(j, actionRegistry);
      },
      flags.namespaces);
  policies.addIndex("namespace", [](const PolicyObject& p) { return std::vector{p.ns}; });
  auto& pods = mgr.addInformer<PodProjection>(
      {.resource = {.version = "v1", .resource = "pods"}},
      [](const nlohmann::json& j) { return runtime::projectPod(j); }, flags.namespaces);
  pods.addIndex("namespace", runtime::podNamespaceIndex);
  auto& replicaSets = mgr.addInformer<ReplicaSetObject>(
      {.resource = {.group = "apps", .version = "v1", .resource = "replicasets"}},
      reconcile::projectReplicaSet, flags.namespaces);
  auto& incidents = mgr.addInformer<IncidentObject>(
      {.resource = {.group = "leakguard.io", .version = "v1alpha1", .resource = "leakincidents"}},
      reconcile::projectIncident, flags.namespaces);
  incidents.addIndex("policy",
                     [](const IncidentObject& i) { return std::vector{i.ns + "/" + i.policy}; });

  kube::EventRecorder events(**api, {.reportingInstance = identity});
  sources::MetricsServerSource metricsSource(
      **api, clock, flags.metricsInterval,
      [&](const sources::ContainerUsage& u) {
        auto pod = pods.store().get(u.ns + "/" + u.pod);
        if (!pod) return;
        const runtime::ContainerProjection* c = pod->container(u.container);
        if (!c) return;
        hub.ingest({.podUid = pod->uid.str(),
                    .ns = u.ns,
                    .pod = u.pod,
                    .container = u.container,
                    .containerId = c->id.str(),
                    .time = u.timestamp,
                    .resource = detect::Resource::kMemory,
                    .value = u.workingSetBytes,
                    .limit = static_cast<double>(c->memoryLimitBytes),
                    .source = reconcile::Source::kMetricsServer});
      },
      flags.namespaces);

  // ---- node agents: poll the agents of the agent pods in agentNamespace ----
  auto& agentPods = mgr.addInformer<sources::AgentPodObject>(
      {.resource = {.version = "v1", .resource = "pods", .ns = flags.agentNamespace},
       .labelSelector = sources::kAgentPodSelector,
       .name = "agent-pods"},
      sources::projectAgentPodObject);
  sources::AgentSource agentSource(
      clock,
      {.endpoints =
           [&] {
             return sources::agentEndpoints(agentPods.store().list(),
                                            static_cast<std::uint16_t>(flags.agentPort));
           },
       .tokenFile = flags.agentTokenFile,
       .client = {.caFile = flags.agentCaFile, .serverName = flags.agentServerName},
       // An agent speaks only for the pods the API server places on its node.
       .podNode = [&](const std::string& ns, const std::string& pod,
                      const std::string& podUid) -> std::optional<std::string> {
         auto p = pods.store().get(ns + "/" + pod);
         if (!p || p->uid.str() != podUid) return std::nullopt;
         return p->nodeName.str();
       },
       .metrics = &metrics},
      [&](const reconcile::UsageSample& s) { hub.ingest(s); });
  if (auto st = agentSource.init(); !st) {
    LG_LOG(error, "cannot set up the node agent source", {{"error", st.error().message}});
    return 1;
  }
  // The agents' per-node serving certificates: the leader approves and signs their CSRs.
  std::optional<agent::CertificateAuthority> agentCa;
  std::optional<reconcile::AgentCertificateSigner> agentSigner;
  if (!flags.agentSignerCertFile.empty() || !flags.agentSignerKeyFile.empty()) {
    if (flags.agentSignerCertFile.empty() || flags.agentSignerKeyFile.empty()) {
      LG_LOG(error, "--agent-signer-cert-file and --agent-signer-key-file go together");
      return 2;
    }
    auto lifetime = policy::parseDuration(flags.agentCertificateLifetime);
    if (!lifetime || *lifetime < 600) {
      LG_LOG(error, "bad --agent-certificate-lifetime (at least 10m)",
             {{"value", flags.agentCertificateLifetime}});
      return 2;
    }
    auto ca =
        agent::CertificateAuthority::load(flags.agentSignerCertFile, flags.agentSignerKeyFile);
    if (!ca) {
      LG_LOG(error, "cannot load the agents' signing CA", {{"error", ca.error().message}});
      return 1;
    }
    agentCa.emplace(std::move(*ca));
    auto& csrs = mgr.addInformer<reconcile::CsrObject>(
        {.resource = {.group = "certificates.k8s.io",
                      .version = "v1",
                      .resource = "certificatesigningrequests"},
         .fieldSelector = std::string("spec.signerName=") + agent::kAgentServingSigner,
         .name = "agent-csrs"},
        reconcile::projectCsr);
    auto& certificatesTotal = metrics.counter(
        "leakguard_agent_certificates_total",
        "Node agents' certificate requests: issued, denied (not the agent of the node it "
        "names) or failed (could not be signed)",
        {"outcome"});
    agentSigner.emplace(reconcile::AgentCertificateSignerDeps{
        .api = api->get(),
        .clock = &clock,
        .csrs = &csrs.store(),
        .ca = &*agentCa,
        .rules = {.agentUser =
                      flags.agentUser.empty()
                          ? "system:serviceaccount:" + flags.agentNamespace + ":leakguard-agent"
                          : flags.agentUser,
                  .maxLifetime = std::chrono::seconds(static_cast<std::int64_t>(*lifetime))},
        .count = [&certificatesTotal](const std::string& outcome) {
          certificatesTotal.labels({outcome}).inc();
        }});
    auto& signer = mgr.addController(
        *agentSigner,
        {.name = "agentcertificates", .workers = 1, .metrics = &mgr.runtimeMetrics()});
    csrs.addEventHandler(runtime::enqueueOwnKey<reconcile::CsrObject>(signer.queue()));
  }
  // ---- end node agents ----

  // ---- playbooks: actions found by name, carried out and journalled ----
  auto& actionsTotal = metrics.counter("leakguard_actions_total",
                                       "Playbook action outcomes (Started, Succeeded, Failed, "
                                       "Skipped, Observed)",
                                       {"action", "outcome"});
  // captureDiagnostics off the reconcile workers: 2 at a time, one per policy, 32 waiting.
  actions::BackgroundRunner diagnosticsRunner(2, 32);
  std::function<void(const std::string&)> wakePolicy;  // set once the controller exists
  actions::PlaybookExecutor executor(
      {.api = api->get(),
       .registry = &actionRegistry,
       .events = &events,
       .count =
           [&](const std::string& action, const std::string& outcome) {
             actionsTotal.labels({action, outcome}).inc();
           },
       .apiTimeout = std::chrono::seconds(10),
       .globalEscalationsPerMinute = flags.maxEscalationsPerMinute,
       .install = install,
       .pause = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); },
       .background = &diagnosticsRunner,
       .wake =
           [&wakePolicy](const std::string& key) {
             if (wakePolicy) wakePolicy(key);
           },
       .leading = [&mgr] { return mgr.leading(); }});

  reconcile::PolicyGauges policyGauges(metrics);
  reconcile::PolicyReconciler reconciler({.api = api->get(),
                                          .clock = &clock,
                                          .hub = &hub,
                                          .policies = &policies.store(),
                                          .pods = &pods.store(),
                                          .replicaSets = &replicaSets.store(),
                                          .incidents = &incidents.store(),
                                          .events = &events,
                                          .metricsStatus = [&] { return metricsSource.status(); },
                                          .resync = flags.resync,
                                          .executor = &executor,
                                          .actions = &actionRegistry,
                                          .gauges = &policyGauges});
  optionsFor =
      [&](const reconcile::UsageSample& s) -> std::shared_ptr<const detect::DetectorOptions> {
    auto pod = pods.store().get(s.ns + "/" + s.pod);
    if (!pod) return nullptr;
    for (const auto& key : reconciler.policiesCovering(*pod)) {
      auto p = policies.store().get(key);
      if (p && p->parsed.usable() && p->parsed.spec.watches(s.resource) &&
          p->parsed.spec.watchesContainer(s.container))
        return settings.forPolicy(*p);
    }
    return nullptr;
  };
  auto& controller = mgr.addController(
      reconciler,
      {.name = "leakpolicy", .workers = flags.workers, .metrics = &mgr.runtimeMetrics()});
  auto& queue = controller.queue();
  wakePolicy = [&queue](const std::string& key) { queue.add(key); };
  policies.addEventHandler(runtime::enqueueOwnKey<PolicyObject>(queue));
  pods.addEventHandler(runtime::enqueueMapped<PodProjection>(
      queue, [&](const PodProjection& p) { return reconciler.policiesCovering(p); }));
  pods.addEventHandler(runtime::EventHandler<PodProjection>{
      .onDelete = [&](const std::string&, const std::shared_ptr<const PodProjection>& p) {
        if (!p) return;
        hub.forgetPod(p->uid.str());
        forecast.forgetPod(p->ns.str(), p->name.str());
      }});
  // A policy gone takes its detector settings and its findings series with it.
  policies.addEventHandler(runtime::EventHandler<PolicyObject>{
      .onDelete = [&](const std::string&, const std::shared_ptr<const PolicyObject>& p) {
        if (!p) return;
        settings.forget(p->uid);
        findingsTotal.removeIf(
            [&](const std::vector<std::string>& v) { return v[1] == p->name && v[2] == p->ns; });
      }});
  // Nodes reschedule tainted are released from the node's side (README, "What LeakGuard
  // guarantees when things fail").
  reconcile::NodeTaintReconciler nodeTaints({.api = api->get(),
                                             .clock = &clock,
                                             .incidents = &incidents.store(),
                                             .every = flags.resync,
                                             .install = install});
  if (reconcile::nodeTaintSweepEnabled(actionRegistry, flags.nodeAccess)) {
    auto& sweeper = mgr.addController(
        nodeTaints, {.name = "nodetaints", .workers = 1, .metrics = &mgr.runtimeMetrics()});
    sweeper.queue().add(reconcile::NodeTaintReconciler::kKey);
  }
  incidents.addEventHandler(runtime::enqueueMapped<IncidentObject>(
      queue, [](const IncidentObject& i) { return std::vector{i.ns + "/" + i.policy}; }));
  hub.onFinding([&](const reconcile::SeriesKey& key, const reconcile::SeriesView& view,
                    const detect::Finding& f) {
    forecast.record(view.ns, view.pod, view.container, detect::name(key.resource),
                    f.exhaustionSeconds, toSeconds(clock.now()));
    auto pod = pods.store().get(view.ns + "/" + view.pod);
    if (!pod) return;
    for (const auto& k : reconciler.policiesCovering(*pod)) {
      findingsTotal
          .labels({std::string(detect::name(key.resource)), k.substr(k.find('/') + 1), view.ns})
          .inc();
      queue.add(k);
    }
  });

  // Every replica follows usage, so a new leader starts with warm detectors.
  std::thread statsThread;
  metricsSource.start();
  agentSource.start();
  std::atomic<bool> done{false};
  statsThread = std::thread([&] {
    while (!done.load()) {
      trackedSeries.labels({}).set(static_cast<double>(hub.seriesCount()));
      metricsUp.labels({}).set(metricsSource.status().available ? 1 : 0);
      (void)events.flush();
      // Series of pods gone without a delete event (missed while disconnected) age out.
      const double now = toSeconds(clock.now());
      hub.forgetIdle(now - 6 * 3600.0);
      forecast.sweep(now);
      for (int i = 0; i < 50 && !done.load(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });

  const Status st = mgr.run();
  diagnosticsRunner.stop();  // its jobs use the executor, the API client and the queue
  done = true;
  statsThread.join();
  metricsSource.stop();
  agentSource.stop();
  (void)events.flush();
  if (!st.ok()) {
    LG_LOG(error, "controller stopped", {{"error", st.error().message}});
    return 1;
  }
  LG_LOG(info, "controller stopped");
  return 0;
}

}  // namespace lg::cli
