#include "operator/cli/agent_command.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <memory>
#include <optional>

#include "controllers/agent/agent_server.h"
#include "controllers/agent/certificate_rotator.h"
#include "controllers/agent/node_agent.h"
#include "controllers/agent/serving_certificate.h"
#include "controllers/agent/token_authenticator.h"
#include "controllers/policy/duration.h"
#include "controllers/reconcile/node_detector.h"
#include "operator/cli/cluster_session.h"
#include "operator/cli/version.h"
#include "operator/kube/cluster_config.h"
#include "operator/kube/http_api_client.h"
#include "operator/runtime/api_request_metrics.h"
#include "operator/runtime/health_server.h"
#include "operator/runtime/manager.h"
#include "operator/runtime/process_metrics.h"
#include "operator/runtime/signal_handler.h"
#include "operator/util/allocator.h"
#include "operator/util/logger.h"

namespace lg::cli {
namespace {

std::string envOr(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : fallback;
}

Result<agent::ServingCertificate> servingCertificate(const AgentFlags& flags,
                                                     const std::string& node) {
  if (!flags.tlsCertFile.empty() || !flags.tlsKeyFile.empty()) {
    if (!flags.certificateSigner.empty())
      return makeError("--certificate-signer asks for a certificate: not with --tls-cert-file");
    if (flags.tlsCertFile.empty() || flags.tlsKeyFile.empty())
      return makeError("--tls-cert-file and --tls-key-file go together");
    return agent::loadServingCertificate(flags.tlsCertFile, flags.tlsKeyFile);
  }
  std::vector<std::string> dns{"leakguard-agent", node};
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) == 0 && host[0] && node != host) dns.emplace_back(host);
  std::vector<std::string> ips;
  if (const std::string podIp = envOr("POD_IP", ""); !podIp.empty()) ips.push_back(podIp);
  if (auto bind = runtime::parseBindAddress(flags.listen); bind && !bind->first.empty())
    ips.push_back(bind->first);
  if (std::find(ips.begin(), ips.end(), "127.0.0.1") == ips.end()) ips.emplace_back("127.0.0.1");
  // With a signer this one only answers the kubelet's probes until the issued one is in.
  auto cert = agent::generateSelfSignedCertificate(dns, ips);
  if (!cert) return cert;
  auto fp = agent::certificateFingerprint(cert->certPem);
  LG_LOG(info,
         flags.certificateSigner.empty()
             ? "generated a self-signed serving certificate"
             : "generated a self-signed serving certificate until the signed one is issued",
         {{"sha256", fp ? *fp : fp.error().message}, {"dnsNames", dns}, {"ips", ips}});
  return cert;
}

// --detection: a NodeDetector the sampling thread feeds from now on, and its routes.
std::vector<agent::AgentRoute> startDetection(std::optional<reconcile::NodeDetector>& detector,
                                              std::atomic<reconcile::NodeDetector*>& detecting,
                                              const std::string& node,
                                              agent::NodeAgent& nodeAgent) {
  detector.emplace(SystemClock::instance(),
                   reconcile::NodeDetectorOptions{.node = node, .epoch = nodeAgent.epoch()});
  detecting = &*detector;
  return reconcile::detectionRoutes(*detector, &nodeAgent.metrics());
}

}  // namespace

int runAgent(const AgentFlags& flags) {
  keepLargeBlocksMapped();
  if (auto level = parseLogLevel(flags.logLevel)) Logger::instance().setLevel(*level);
  // Blocks SIGTERM/SIGINT before any thread starts, so the handler thread gets them.
  runtime::SignalHandler signals;
  Clock& clock = SystemClock::instance();

  const std::string node = flags.nodeName.empty() ? envOr("NODE_NAME", "") : flags.nodeName;
  if (node.empty()) {
    LG_LOG(error, "no node name: pass --node-name or set NODE_NAME");
    return 2;
  }
  auto interval = policy::parseDuration(flags.interval);
  if (!interval || *interval < 0.1) {
    LG_LOG(error, "bad --interval", {{"value", flags.interval}});
    return 2;
  }
  std::vector<std::string> audiences = flags.tokenAudiences;
  if (audiences.empty()) audiences.emplace_back(agent::kDefaultTokenAudience);
  std::erase(audiences, std::string());
  std::vector<std::string> allowed = flags.allowedUsers;
  if (allowed.empty()) allowed.emplace_back(agent::kDefaultAllowedUser);

  runtime::ApiRequestMetrics apiMetrics;  // counts once the registry exists
  auto api = connectService(flags.kubeconfig, flags.context, apiMetrics);
  if (!api) return 1;
  std::optional<double> certLifetime;
  if (!flags.certificateSigner.empty()) {
    auto parsed = policy::parseDuration(flags.certificateLifetime);
    if (parsed) certLifetime = *parsed;
    if (!certLifetime || *certLifetime < 600) {
      LG_LOG(error, "bad --certificate-lifetime (at least 10m)",
             {{"value", flags.certificateLifetime}});
      return 2;
    }
  }
  auto cert = servingCertificate(flags, node);
  if (!cert) {
    LG_LOG(error, "no serving certificate", {{"error", cert.error().message}});
    return 1;
  }

  // Detection here (--detection): fed from the sampling thread once it exists.
  std::optional<reconcile::NodeDetector> detector;
  std::atomic<reconcile::NodeDetector*> detecting{nullptr};
  agent::NodeAgent nodeAgent(
      *api, clock,
      {.nodeName = node,
       .namespaces = flags.namespaces,
       .cgroupRoot = flags.cgroupRoot,
       .procRoot = flags.procRoot,
       .kubepodsPath = flags.kubepodsCgroup,
       .kmsgPath = flags.kmsg,
       .containerLogLinks = flags.containerLogLinks,
       .interval = std::chrono::milliseconds(static_cast<std::int64_t>(*interval * 1000)),
       .bufferSamples = flags.bufferSamples,
       .onSample = [&detecting](const agent::AgentSample& s) {
         if (auto* d = detecting.load()) d->observe(s);
       }});
  if (auto st = nodeAgent.init(); !st) {
    LG_LOG(error, "cannot start the node agent", {{"error", st.error().message}});
    return 1;
  }
  runtime::registerProcessMetrics(nodeAgent.metrics());
  apiMetrics.attach(nodeAgent.metrics());
  runtime::registerBuildInfo(nodeAgent.metrics(), versionNumber(), gitRevision());
  agent::TokenAuthenticator auth(
      *api, clock,
      {.allowedUsers = allowed, .audiences = audiences, .metrics = &nodeAgent.metrics()});
  agent::AgentServer server({.bindAddress = flags.listen, .certificate = std::move(*cert)});
  std::vector<agent::AgentRoute> detectionRoutes;
  if (flags.detection) detectionRoutes = startDetection(detector, detecting, node, nodeAgent);
  nodeAgent.registerRoutes(
      server, [&auth](std::string_view t) { return auth.authenticate(t); },
      std::move(detectionRoutes));
  std::unique_ptr<agent::CertificateRotator> rotator;
  if (!flags.certificateSigner.empty()) {
    rotator = std::make_unique<agent::CertificateRotator>(
        *api, clock,
        agent::CertificateRotatorOptions{
            .node = node,
            .signerName = flags.certificateSigner,
            .lifetime = std::chrono::seconds(static_cast<std::int64_t>(*certLifetime)),
            .install = [&server](const agent::ServingCertificate& c) {
              return server.setCertificate(c);
            }});
  }
  // Ready: sampling passes complete and, with a signer, the issued certificate is served (the
  // controller polls Ready agents only, controllers/sources/agent_endpoint.h).
  server.route("/readyz", [&nodeAgent, &rotator](const agent::HttpRequest&) {
    agent::HttpResponse r;
    r.contentType = "text/plain; charset=utf-8";
    const bool certified = !rotator || rotator->hasCertificate();
    r.status = nodeAgent.healthy() && certified ? 200 : 503;
    r.body = r.status == 200 ? "ok\n"
             : !certified    ? "waiting for the serving certificate\n"
                             : "sampling stalled\n";
    return r;
  });
  // For Prometheus: the same registry, on a plain port of its own, so a scraper needs neither
  // a token the agent accepts nor the agents' CA (README, "Alerts and scraping").
  std::unique_ptr<runtime::HealthServer> metricsServer;
  if (!flags.metricsListen.empty()) {
    metricsServer = std::make_unique<runtime::HealthServer>(
        &nodeAgent.metrics(), runtime::HealthServerOptions{.bindAddress = flags.metricsListen});
    metricsServer->addReadinessCheck("sampling", [&nodeAgent] { return nodeAgent.healthy(); });
  }
  // The Manager runs them all until a signal (no informers, no leader election: every agent
  // acts for its own node), and stops them in the reverse order.
  runtime::Manager mgr(*api, clock, {.enableHealthServer = false, .signals = &signals});
  mgr.add(nodeAgent);
  mgr.add(server);
  if (metricsServer) mgr.add(*metricsServer);
  if (rotator) mgr.add(*rotator);
  LG_LOG(info, "node agent starting",
         {{"version", versionString()},
          {"node", node},
          {"address", flags.listen},
          {"metricsAddress", flags.metricsListen},
          {"detection", flags.detection},
          {"allowedUsers", allowed},
          {"audiences", audiences}});
  if (Status st = mgr.run(); !st.ok()) {
    LG_LOG(error, "node agent stopped", {{"error", st.error().message}});
    return 1;
  }
  LG_LOG(info, "node agent stopped");
  return 0;
}

}  // namespace lg::cli
