#include "operator/cli/command_line.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>

#include "controllers/detect/detector_options.h"
#include "operator/cli/agent_command.h"
#include "operator/cli/analyze_command.h"
#include "operator/cli/controller_command.h"
#include "operator/cli/explain_command.h"
#include "operator/cli/namespace_list.h"
#include "operator/cli/rbac_command.h"
#include "operator/cli/recommend_command.h"
#include "operator/cli/sample_command.h"
#include "operator/cli/status_command.h"
#include "operator/cli/top_command.h"
#include "operator/cli/version.h"
#include "operator/util/printable.h"

namespace lg::cli {
namespace {

// A number in [lo, hi] (never NaN or infinite), or CLI11 refuses the flag with the reason.
CLI::Validator within(double lo, double hi, bool loOpen) {
  return CLI::Validator(
      [=](std::string& s) -> std::string {
        double v = 0;
        std::size_t used = 0;
        try {
          v = std::stod(s, &used);
        } catch (...) {
          used = 0;
        }
        if (used == s.size() && std::isfinite(v) && v >= lo && v <= hi && !(loOpen && v == lo))
          return "";
        char range[96];
        std::snprintf(range, sizeof range, "%s %g and at most %g", loOpen ? "above" : "of at least",
                      lo, hi);
        return std::string("must be a number ") + range + ", got '" + printable(s) + "'";
      },
      "NUMBER");
}

// --namespaces of the agent and the controller, checked alike: false after naming the bad one.
bool scope(const std::string& text, std::vector<std::string>& out) {
  auto parsed = parseNamespaceList(text);
  if (!parsed) std::cerr << "--namespaces: " << parsed.error().message << "\n";
  if (parsed) out = std::move(*parsed);
  return parsed.ok();
}

Subcommand addVersion(CLI::App& app) {
  return {app.add_subcommand("version", "Print the version and exit"), [] {
            std::cout << "leakguard " << versionString() << "\n";
            return 0;
          }};
}

Subcommand addAnalyze(CLI::App& app) {
  struct Flags {
    std::vector<std::string> files;
    detect::DetectorOptions opts;
  };
  auto f = std::make_shared<Flags>();
  auto* analyze = app.add_subcommand(
      "analyze", "Replay usage traces (CSV) through the online detector; one JSON line per file");
  analyze->add_option("files", f->files, "Usage trace files (CSV; README.md, \"Usage traces\")")
      ->required();
  analyze
      ->add_option("--margin", f->opts.margin,
                   "Evidence needed, in BIC units, for growth over any benign explanation")
      ->check(within(0, 1000, true))
      ->capture_default_str();
  analyze
      ->add_option("--horizon", f->opts.horizonSeconds,
                   "Report only leaks forecast to exhaust the limit within this many seconds")
      ->check(within(0, 1e9, true))
      ->capture_default_str();
  analyze
      ->add_option("--min-growth", f->opts.minGrowthSeconds,
                   "Seconds growth must last before it is called a leak")
      ->check(within(0, 1e9, false))
      ->capture_default_str();

  return {analyze, [f] { return runAnalyze(f->files, f->opts, std::cout, std::cerr); }};
}

// The controller's options for the node agents (controllers/sources/agent_source.h).
void addAgentSourceOptions(CLI::App* controller, ControllerFlags& cf) {
  // ---- node agents ----
  controller->add_option("--agent-port", cf.agentPort, "Port the node agents serve on")
      ->check(CLI::Range(1, 65535))
      ->capture_default_str();
  controller
      ->add_option("--agent-namespace", cf.agentNamespace,
                   "Namespace of the node agent pods (label "
                   "app.kubernetes.io/name=leakguard-agent)")
      ->capture_default_str();
  controller->add_option("--agent-ca-file", cf.agentCaFile,
                         "CA bundle the agents' serving certificates must chain to "
                         "(default: agents are not verified)");
  controller
      ->add_option("--agent-server-name", cf.agentServerName,
                   "Name the agents' certificates must carry; {node} stands for the agent's "
                   "node ({node}.leakguard-agent with per-node certificates; \"\": the pod IP)")
      ->capture_default_str();
  controller->add_option("--agent-signer-cert-file", cf.agentSignerCertFile,
                         "CA certificate that signs the agents' per-node certificates (signer "
                         "leakguard.io/agent-serving); with --agent-signer-key-file");
  controller->add_option("--agent-signer-key-file", cf.agentSignerKeyFile,
                         "That CA's private key: the leader approves and signs the agents' "
                         "CertificateSigningRequests");
  controller->add_option(
      "--agent-user", cf.agentUser,
      "The agents' ServiceAccount username, the only requester whose CSRs are "
      "signed (default: system:serviceaccount:<agent-namespace>:leakguard-agent)");
  controller
      ->add_option("--agent-certificate-lifetime", cf.agentCertificateLifetime,
                   "Longest lifetime signed for an agent certificate")
      ->capture_default_str();
  controller
      ->add_option("--agent-token-file", cf.agentTokenFile,
                   "Bearer token presented to the agents (a projected ServiceAccount "
                   "token with audience leakguard-agent)")
      ->capture_default_str();
}

Subcommand addController(CLI::App& app) {
  struct Flags {
    ControllerFlags cf;
    int metricsInterval = 15, resync = 30;
    std::string namespaces;
  };
  auto f = std::make_shared<Flags>();
  ControllerFlags& cf = f->cf;
  auto* controller = app.add_subcommand(
      "controller", "Run the operator: watch policies and pods, detect leaks, act as declared");
  controller->add_option("--kubeconfig", cf.kubeconfig,
                         "Kubeconfig file (default: KUBECONFIG, in-cluster, ~/.kube/config)");
  controller->add_option("--context", cf.context, "Kubeconfig context (default: current)");
  controller
      ->add_option("--health-address", cf.healthAddress,
                   "Where /healthz, /readyz and /metrics listen")
      ->capture_default_str();
  controller
      ->add_flag("--node-access,!--no-node-access", cf.nodeAccess,
                 "Release LeakGuard's memory-pressure taints from the nodes' side (needs list and "
                 "patch on nodes)")
      ->capture_default_str();
  controller
      ->add_flag("--streaming-lists", cf.streamingLists,
                 "List pods and ReplicaSets as one stream (WatchList, Kubernetes 1.34+) instead "
                 "of pages: a lower memory peak at start, a slower first sync")
      ->capture_default_str();
  controller
      ->add_option("--max-series", cf.maxSeries,
                   "Most container series followed at once (each 6-7 KB with 6 h of history); "
                   "past it, new series are refused and counted. 0: no bound")
      ->capture_default_str();
  controller
      ->add_flag("--agent-detection", cf.agentDetection,
                 "Have the node agents detect for their own nodes' containers (agents started "
                 "with --detection): the controller keeps findings, not series")
      ->capture_default_str();
  controller
      ->add_flag("--leader-elect,!--no-leader-elect", cf.leaderElect,
                 "Take part in leader election (one active replica)")
      ->capture_default_str();
  controller->add_option("--lease-namespace", cf.leaseNamespace, "Namespace of the Lease")
      ->capture_default_str();
  controller->add_option("--lease-name", cf.leaseName, "Name of the Lease")->capture_default_str();
  controller->add_option("--identity", cf.identity,
                         "This replica's identity in the Lease (default: pod name + suffix)");
  controller->add_option("--workers", cf.workers, "Concurrent policy reconciles")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  controller
      ->add_option("--metrics-interval", f->metricsInterval, "Seconds between metrics.k8s.io polls")
      ->check(CLI::Range(5, 600))
      ->capture_default_str();
  controller->add_option("--resync", f->resync, "Seconds between periodic policy reconciles")
      ->check(CLI::Range(5, 3600))
      ->capture_default_str();
  controller
      ->add_option("--max-escalations-per-minute", cf.maxEscalationsPerMinute,
                   "Escalating actions (resize, restart, reschedule, rollback) started per "
                   "minute across all policies; 0: no limit")
      ->check(CLI::Range(0, 10000))
      ->capture_default_str();
  controller
      ->add_option("--actions", cf.actions,
                   "Playbook actions this LeakGuard may take: all, none, or names separated by "
                   "commas (a policy naming another is not Ready; `leakguard rbac` shows the "
                   "RBAC they need)")
      ->capture_default_str();
  controller->add_option("--namespaces", f->namespaces,
                         "Watch and act only in these namespaces (comma-separated; default: "
                         "every namespace). Namespaced RBAC (Roles) is then enough");
  controller->add_option("--log-level", cf.logLevel, "debug, info, warn or error")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}))
      ->capture_default_str();
  addAgentSourceOptions(controller, cf);
  return {controller, [f] {
            f->cf.metricsInterval = std::chrono::seconds(f->metricsInterval);
            f->cf.resync = std::chrono::seconds(f->resync);
            return scope(f->namespaces, f->cf.namespaces) ? runController(f->cf) : 2;
          }};
}

Subcommand addRbac(CLI::App& app) {
  auto f = std::make_shared<RbacFlags>();
  RbacFlags& rf = *f;
  auto* rbac = app.add_subcommand(
      "rbac", "Print the RBAC rules the controller needs for the actions it may take");
  rbac->add_option("--actions", rf.actions, "all, none, or action names separated by commas")
      ->capture_default_str();
  rbac->add_flag("--node-access,!--no-node-access", rf.nodeAccess,
                 "The controller runs with --node-access (nodes for reschedule)")
      ->capture_default_str();
  rbac->add_flag("--agent-signer", rf.agentSigner,
                 "The controller signs the agents' certificates (--agent-signer-key-file)")
      ->capture_default_str();
  rbac->add_option("-o,--output", rf.output, "yaml (a Role's rules) or json")
      ->check(CLI::IsMember({"yaml", "json"}))
      ->capture_default_str();
  return {rbac, [f] { return runRbac(*f, std::cout, std::cerr); }};
}

Subcommand addTop(CLI::App& app) {
  auto f = std::make_shared<TopFlags>();
  TopFlags& tf = *f;
  auto* top = app.add_subcommand(
      "top", "Containers found leaking, soonest exhaustion first (kubectl leakguard top)");
  top->add_option("-n,--namespace", tf.ns, "Namespace (default: the context's)");
  top->add_flag("-A,--all-namespaces", tf.allNamespaces, "Every namespace");
  top->add_option("-o,--output", tf.output, "wide, json or yaml")
      ->check(CLI::IsMember({"wide", "json", "yaml"}));
  top->add_option("--kubeconfig", tf.kubeconfig, "Kubeconfig file (default: $KUBECONFIG)");
  top->add_option("--context", tf.context, "Kubeconfig context (default: current)");
  return {top, [f] {
            f->color = ::isatty(STDOUT_FILENO) == 1;
            return runTop(*f, std::cout, std::cerr);
          }};
}

Subcommand addStatus(CLI::App& app) {
  auto f = std::make_shared<StatusFlags>();
  StatusFlags& stf = *f;
  auto* status = app.add_subcommand(
      "status", "Policies, open incidents, agents and usage sources (kubectl leakguard status)");
  status->add_option("-n,--namespace", stf.ns, "Namespace (default: the context's)");
  status->add_flag("-A,--all-namespaces", stf.allNamespaces, "Every namespace");
  status->add_option("-o,--output", stf.output, "json or yaml")
      ->check(CLI::IsMember({"json", "yaml"}));
  status->add_option("--kubeconfig", stf.kubeconfig, "Kubeconfig file (default: $KUBECONFIG)");
  status->add_option("--context", stf.context, "Kubeconfig context (default: current)");
  return {status, [f] { return runStatus(*f, std::cout, std::cerr); }};
}

Subcommand addExplain(CLI::App& app) {
  auto f = std::make_shared<ExplainFlags>();
  auto incidentName = std::make_shared<std::string>();
  ExplainFlags& ef = *f;
  auto* explain =
      app.add_subcommand("explain",
                         "One LeakIncident in words, with its usage, trend and forecast drawn "
                         "(kubectl leakguard explain)");
  explain->add_option("incident", *incidentName, "The LeakIncident's name")->required();
  explain->add_option("-n,--namespace", ef.ns, "Namespace (default: the context's)");
  explain->add_option("-o,--output", ef.output, "json or yaml")
      ->check(CLI::IsMember({"json", "yaml"}));
  explain->add_option("--width", ef.width, "Columns of the chart")
      ->check(CLI::Range(20, 200))
      ->capture_default_str();
  explain->add_option("--kubeconfig", ef.kubeconfig, "Kubeconfig file (default: $KUBECONFIG)");
  explain->add_option("--context", ef.context, "Kubeconfig context (default: current)");
  return {explain, [f, incidentName] {
            f->color = ::isatty(STDOUT_FILENO) == 1;
            return runExplain(*f, *incidentName, std::cout, std::cerr);
          }};
}

Subcommand addRecommend(CLI::App& app) {
  auto f = std::make_shared<RecommendFlags>();
  RecommendFlags& rcf = *f;
  auto* recommend =
      app.add_subcommand("recommend",
                         "Memory requests and limits for the covered workloads, none for a leak "
                         "(kubectl leakguard recommend)");
  recommend->add_option("-n,--namespace", rcf.ns, "Namespace (default: the context's)");
  recommend->add_flag("-A,--all-namespaces", rcf.allNamespaces, "Every namespace");
  recommend->add_option("-o,--output", rcf.output, "wide, json or yaml")
      ->check(CLI::IsMember({"wide", "json", "yaml"}));
  recommend->add_option("--kubeconfig", rcf.kubeconfig, "Kubeconfig file (default: $KUBECONFIG)");
  recommend->add_option("--context", rcf.context, "Kubeconfig context (default: current)");
  return {recommend, [f] { return runRecommend(*f, std::cout, std::cerr); }};
}

Subcommand addSample(CLI::App& app) {
  auto f = std::make_shared<SampleFlags>();
  SampleFlags& sf = *f;
  auto* sample = app.add_subcommand(
      "sample", "Sample one cgroup as the node agent does; one JSON line per sample");
  sample
      ->add_option("--cgroup", sf.cgroup,
                   "Cgroup path (/a/b as in /proc/PID/cgroup, or /sys/fs/cgroup/memory/a/b)")
      ->required();
  sample->add_option("--interval", sf.interval, "Time between samples (500ms, 1s, 1m)")
      ->capture_default_str();
  sample->add_option("--count", sf.count, "Samples to take (0: until interrupted)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  sample->add_option("--cgroup-root", sf.cgroupRoot, "Where the cgroup hierarchies are mounted")
      ->capture_default_str();
  sample->add_option("--proc-root", sf.procRoot, "Where /proc is mounted")->capture_default_str();
  sample
      ->add_option(
          "-o,--output", sf.output,
          "json (the agent's fields) or csv (a usage trace that `leakguard analyze` reads)")
      ->check(CLI::IsMember({"json", "csv"}))
      ->capture_default_str();
  return {sample, [f] { return runSample(*f, std::cout, std::cerr); }};
}

Subcommand addAgent(CLI::App& app) {
  auto f = std::make_shared<AgentFlags>();
  auto namespaces = std::make_shared<std::string>();
  AgentFlags& af = *f;
  auto* agentCmd = app.add_subcommand(
      "agent", "Run the node agent: sample this node's containers, serve them over HTTPS");
  agentCmd->add_option("--kubeconfig", af.kubeconfig,
                       "Kubeconfig file (default: KUBECONFIG, in-cluster, ~/.kube/config)");
  agentCmd->add_option("--context", af.context, "Kubeconfig context (default: current)");
  agentCmd->add_option("--node-name", af.nodeName, "This node's name (default: $NODE_NAME)");
  agentCmd->add_option("--namespaces", *namespaces,
                       "Sample only the pods of these namespaces (comma-separated; default: "
                       "every namespace)");
  agentCmd->add_option("--listen", af.listen, "HTTPS address (host:port)")->capture_default_str();
  agentCmd->add_option("--metrics-listen", af.metricsListen,
                       "Plain HTTP address (host:port) of /metrics, /healthz and /readyz for "
                       "Prometheus, without a token (default: none; the HTTPS /metrics needs one)");
  agentCmd->add_option("--interval", af.interval, "Time between sampling passes")
      ->capture_default_str();
  agentCmd->add_option("--cgroup-root", af.cgroupRoot, "Where the cgroup hierarchies are mounted")
      ->capture_default_str();
  agentCmd->add_option("--proc-root", af.procRoot, "Where the host's /proc is mounted")
      ->capture_default_str();
  agentCmd->add_option("--kubepods-cgroup", af.kubepodsCgroup,
                       "Cgroup path of kubepods (default: search the memory hierarchy)");
  agentCmd->add_option("--kmsg", af.kmsg, "Kernel log for OOM kills (\"\": cgroup counters only)")
      ->capture_default_str();
  agentCmd->add_option("--container-log-links", af.containerLogLinks,
                       "The host's /var/log/containers: the pods of the node from the kubelet's "
                       "log links, none read from the API (default: a pod watch)");
  agentCmd->add_option("--tls-cert-file", af.tlsCertFile,
                       "Serving certificate (PEM; default: a generated self-signed one)");
  agentCmd->add_option("--tls-key-file", af.tlsKeyFile, "Serving key (PEM)");
  agentCmd->add_option("--certificate-signer", af.certificateSigner,
                       "Ask for a serving certificate naming this node with a "
                       "CertificateSigningRequest for this signer (leakguard.io/agent-serving), "
                       "and renew it at two thirds of its lifetime");
  agentCmd
      ->add_option("--certificate-lifetime", af.certificateLifetime,
                   "Lifetime asked for with --certificate-signer (at least 10m)")
      ->capture_default_str();
  agentCmd->add_option("--allowed-user", af.allowedUsers,
                       "Username allowed to read (repeatable; default "
                       "system:serviceaccount:leakguard-system:leakguard-controller)");
  agentCmd->add_option("--token-audience", af.tokenAudiences,
                       "Audience callers' tokens must have (repeatable; default "
                       "leakguard-agent; \"\": the API server's)");
  agentCmd
      ->add_option("--buffer-samples", af.bufferSamples,
                   "Samples kept for the controller (the oldest are overwritten)")
      ->check(CLI::Range(16, 10000000))
      ->capture_default_str();
  agentCmd
      ->add_flag("--detection", af.detection,
                 "Detect here for the series the controller assigns (POST /v1/detection) and "
                 "keep their 6 h of history (controller: --agent-detection)")
      ->capture_default_str();
  agentCmd->add_option("--log-level", af.logLevel, "debug, info, warn or error")
      ->check(CLI::IsMember({"debug", "info", "warn", "error"}))
      ->capture_default_str();
  return {agentCmd,
          [f, namespaces] { return scope(*namespaces, f->namespaces) ? runAgent(*f) : 2; }};
}

}  // namespace

std::vector<Subcommand> addSubcommands(CLI::App& app) {
  return {addVersion(app), addAnalyze(app), addController(app), addRbac(app),   addTop(app),
          addStatus(app),  addExplain(app), addRecommend(app),  addSample(app), addAgent(app)};
}

}  // namespace lg::cli
