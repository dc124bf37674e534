#pragma once
// Kubeconfig files (what kubectl reads): resolves a context to its cluster and user.
//
// Supported: clusters[].cluster {server, certificate-authority(-data), insecure-skip-tls-verify,
// tls-server-name}; users[].user {client-certificate(-data), client-key(-data), token,
// tokenFile, exec}; contexts[].context {cluster, user, namespace}; current-context.
// Relative file paths are resolved against the directory of the file that names them.
// Several files (KUBECONFIG=a:b) merge the way kubectl merges them: the first file that
// defines a name (or current-context) wins.
// Rejected with a clear error rather than half-honoured: proxy-url, auth-provider, basic auth,
// impersonation.
// Errors name the file and the missing or bad field, never a credential.

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "operator/kube/cluster_config.h"
#include "operator/util/clock.h"

namespace lg::kube {

struct KubeconfigOptions {
  std::string context;  // "" for current-context
  // Used by exec plugin caching and token file refresh; must outlive the returned config.
  const Clock* clock = &SystemClock::instance();
  std::chrono::milliseconds execTimeout{30000};
  std::chrono::seconds tokenFileMaxAge{60};
};

Result<ClusterConfig> loadKubeconfig(const std::string& path, const std::string& context = "");
Result<ClusterConfig> loadKubeconfigFiles(const std::vector<std::string>& paths,
                                          const KubeconfigOptions& options);
// Splits a KUBECONFIG value on ':' dropping empty entries.
std::vector<std::string> splitKubeconfigPaths(std::string_view value);

}  // namespace lg::kube
