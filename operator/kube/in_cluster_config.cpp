#include "operator/kube/in_cluster_config.h"

#include <memory>

#include "operator/kube/file_token_source.h"
#include "operator/util/read_file.h"

namespace lg::kube {
namespace {}  // namespace

Result<ClusterConfig> loadInClusterConfig(const std::string& root, const EnvLookup& env,
                                          const Clock& clock, std::chrono::seconds tokenMaxAge) {
  const auto host = env("KUBERNETES_SERVICE_HOST");
  const auto port = env("KUBERNETES_SERVICE_PORT");
  if (!host || host->empty() || !port || port->empty()) {
    return makeError(
        "in-cluster config: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set "
        "(not running in a pod?)");
  }
  if (port->find_first_not_of("0123456789") != std::string::npos) {
    return makeError("in-cluster config: KUBERNETES_SERVICE_PORT \"" + *port +
                     "\" is not a port number");
  }
  ClusterConfig config;
  const bool ipv6 = host->find(':') != std::string::npos && host->front() != '[';
  config.server = "https://" + (ipv6 ? "[" + *host + "]" : *host) + ":" + *port;
  config.origin = "in-cluster service account (" + root + ")";

  auto ca = readWholeFile(root + "/ca.crt");
  if (!ca) return makeError("in-cluster config: " + ca.error().message);
  if (ca->find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
    return makeError("in-cluster config: " + root + "/ca.crt holds no PEM certificate");
  }
  config.caData = std::move(*ca);

  auto tokens = std::make_shared<FileTokenSource>(root + "/token", clock, tokenMaxAge);
  auto first = tokens->token();
  if (!first) return makeError("in-cluster config: " + first.error().message);
  config.tokenSource = [tokens] { return tokens->token(); };

  if (auto ns = readWholeFile(root + "/namespace")) {
    std::string s = *ns;
    s.erase(s.find_last_not_of(" \t\r\n") + 1);
    config.ns = s;
  }
  return config;
}

}  // namespace lg::kube
