#include "operator/cli/controller_command.h"

#include <cstdlib>
#include <string>

#include "operator/cli/cluster_session.h"
#include "operator/cli/controller_process.h"
#include "operator/cli/version.h"
#include "operator/runtime/api_request_metrics.h"
#include "operator/runtime/leader_elector.h"
#include "operator/runtime/process_metrics.h"
#include "operator/runtime/signal_handler.h"
#include "operator/util/allocator.h"
#include "operator/util/logger.h"

namespace lg::cli {
namespace {

std::string hostIdentity() {
  for (const char* var : {"POD_NAME", "HOSTNAME"})
    if (const char* v = std::getenv(var); v && *v) return v;
  return "leakguard";
}

}  // namespace

int runController(const ControllerFlags& flags) {
  keepLargeBlocksMapped();
  if (auto level = parseLogLevel(flags.logLevel)) Logger::instance().setLevel(*level);
  // Blocks SIGTERM/SIGINT before any thread starts, so the handler thread gets them.
  runtime::SignalHandler signals;
  runtime::ApiRequestMetrics apiMetrics;  // counts once the registry exists
  auto api = connectService(flags.kubeconfig, flags.context, apiMetrics);
  if (!api) return 1;
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
  ControllerProcess process(flags, *api, SystemClock::instance(), std::move(mopts), identity);
  auto& metrics = process.manager().metrics();
  runtime::registerProcessMetrics(metrics);
  apiMetrics.attach(metrics);
  runtime::registerBuildInfo(metrics, versionNumber(), gitRevision());
  if (int rc = process.wire(); rc != 0) return rc;
  return process.run();
}

}  // namespace lg::cli
