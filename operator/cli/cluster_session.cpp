#include "operator/cli/cluster_session.h"

#include <chrono>
#include <ostream>

#include "controllers/policy/api_resources.h"
#include "operator/kube/cluster_config.h"
#include "operator/kube/http_api_client.h"
#include "operator/util/clock.h"
#include "operator/util/logger.h"

namespace lg::cli {

Result<ClusterSession> openCluster(const std::string& kubeconfig, const std::string& context,
                                   const std::string& ns) {
  auto config = kube::loadConfig({.kubeconfigFlag = kubeconfig, .context = context});
  if (!config) return makeError("cannot load the kubeconfig: " + config.error().message);
  ClusterSession s;
  s.ns = ns.empty() ? config->ns : ns;
  if (s.ns.empty()) s.ns = "default";
  auto api = kube::HttpApiClient::create(std::move(*config), {.timeout = std::chrono::seconds(10)});
  if (!api) return api.error();
  s.api = std::move(*api);
  return s;
}

int withCluster(const char* command, const std::string& kubeconfig, const std::string& context,
                const std::string& ns, std::ostream& err,
                const std::function<int(ClusterSession&)>& run) {
  auto session = openCluster(kubeconfig, context, ns);
  if (!session) {
    err << "leakguard " << command << ": " << session.error().message << "\n";
    return 1;
  }
  return run(*session);
}

std::optional<nlohmann::json> listLeakGuard(kube::ApiClient& api, const char* command,
                                            const std::string& resource, const std::string& ns,
                                            std::ostream& err) {
  auto items = listAll(
      api,
      {.group = policy::kApiGroup, .version = policy::kApiVersion, .resource = resource, .ns = ns});
  if (items) return std::move(*items);
  err << "leakguard " << command << ": cannot list " << resource
      << (ns.empty() ? "" : " in namespace " + ns) << ": " << items.error().message << "\n";
  return std::nullopt;
}

Result<nlohmann::json> listAll(kube::ApiClient& api, const kube::ResourceRef& ref,
                               kube::ListOptions opts) {
  nlohmann::json items = nlohmann::json::array();
  do {
    auto page = api.list(ref, opts);
    if (!page) return page.error();
    for (auto& i : page->items)
      items.push_back(std::move(i));
    opts.continueToken = page->continueToken;
  } while (!opts.continueToken.empty());
  return items;
}

double wallSeconds() {
  return std::chrono::duration<double>(SystemClock::instance().now().time_since_epoch()).count();
}

std::unique_ptr<kube::ApiClient> connectService(const std::string& kubeconfig,
                                                const std::string& context,
                                                runtime::ApiRequestMetrics& metrics) {
  auto config = kube::loadConfig({.kubeconfigFlag = kubeconfig, .context = context});
  if (!config) {
    LG_LOG(error, "cannot load cluster config", {{"error", config.error().message}});
    return nullptr;
  }
  auto api = kube::HttpApiClient::create(std::move(*config), {.observe = metrics.observer()});
  if (!api) {
    LG_LOG(error, "cannot create API client", {{"error", api.error().message}});
    return nullptr;
  }
  return std::move(*api);
}

}  // namespace lg::cli
