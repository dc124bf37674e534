#include "operator/kube/cluster_config.h"

#include <cstdlib>
#include <filesystem>

#include "operator/kube/in_cluster_config.h"
#include "operator/kube/kubeconfig.h"

namespace lg::kube {

EnvLookup processEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (!v) return std::nullopt;
    return std::string(v);
  };
}

Result<ClusterConfig> loadConfig(const ConfigSources& sources) {
  KubeconfigOptions kopts;
  kopts.context = sources.context;
  kopts.clock = sources.clock;
  if (!sources.kubeconfigFlag.empty()) return loadKubeconfigFiles({sources.kubeconfigFlag}, kopts);

  std::string tried;
  if (auto env = sources.env("KUBECONFIG"); env && !env->empty()) {
    std::vector<std::string> existing;
    for (const std::string& p : splitKubeconfigPaths(*env)) {
      std::error_code ec;
      if (std::filesystem::exists(p, ec)) existing.push_back(p);
    }
    if (!existing.empty()) return loadKubeconfigFiles(existing, kopts);
    tried += "$KUBECONFIG=" + *env + " (no such file); ";
  } else {
    tried += "$KUBECONFIG (unset); ";
  }

  if (auto host = sources.env("KUBERNETES_SERVICE_HOST"); host && !host->empty()) {
    return loadInClusterConfig(sources.serviceAccountRoot, sources.env, *sources.clock);
  }
  tried += "in-cluster (KUBERNETES_SERVICE_HOST unset); ";

  if (auto home = sources.env("HOME"); home && !home->empty()) {
    const std::string path = *home + "/.kube/config";
    std::error_code ec;
    if (std::filesystem::exists(path, ec)) return loadKubeconfigFiles({path}, kopts);
    tried += path + " (no such file)";
  } else {
    tried += "~/.kube/config ($HOME unset)";
  }
  return makeError("no Kubernetes configuration found; tried --kubeconfig (not given); " + tried);
}

Result<ClusterConfig> loadConfig(const std::string& kubeconfigFlag, const EnvLookup& env) {
  ConfigSources sources;
  sources.kubeconfigFlag = kubeconfigFlag;
  sources.env = env;
  return loadConfig(sources);
}

}  // namespace lg::kube
