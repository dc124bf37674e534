#pragma once
// What the commands people run against a cluster (`leakguard top`, `leakguard status`, also as
// `kubectl leakguard ...`) share: the kubeconfig loaded as kubectl does (--kubeconfig,
// $KUBECONFIG, ~/.kube/config, in-cluster; --context), the namespace (-n, else the context's,
// else "default"), an API client whose every call has a 10 s deadline, and lists read to their
// last page.

#include <functional>
#include <iosfwd>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "operator/kube/api_client.h"
#include "operator/runtime/api_request_metrics.h"
#include "operator/util/result.h"

namespace lg::cli {

struct ClusterSession {
  std::unique_ptr<kube::ApiClient> api;
  std::string ns;  // -n, else the context's namespace, else "default"
};

Result<ClusterSession> openCluster(const std::string& kubeconfig, const std::string& context,
                                   const std::string& ns);

// Opens the cluster and runs `run` with it: what each command's runX(flags, out, err) does.
// When the cluster cannot be opened, says "leakguard <command>: <why>" on `err` and returns 1.
int withCluster(const char* command, const std::string& kubeconfig, const std::string& context,
                const std::string& ns, std::ostream& err,
                const std::function<int(ClusterSession&)>& run);

// Every item of a list, page after page.
Result<nlohmann::json> listAll(kube::ApiClient& api, const kube::ResourceRef& ref,
                               kube::ListOptions opts = {});

// Every leakguard.io/v1alpha1 `resource` of namespace `ns` ("": every namespace), or nullopt
// after saying "leakguard <command>: cannot list <resource>[ in namespace <ns>]: <why>".
std::optional<nlohmann::json> listLeakGuard(kube::ApiClient& api, const char* command,
                                            const std::string& resource, const std::string& ns,
                                            std::ostream& err);

// For the long-running commands (controller, agent): the cluster config (--kubeconfig, --context,
// $KUBECONFIG, in-cluster) and an API client whose requests `metrics` counts; nullptr after
// logging why not.
std::unique_ptr<kube::ApiClient> connectService(const std::string& kubeconfig,
                                                const std::string& context,
                                                runtime::ApiRequestMetrics& metrics);

// Seconds since the epoch now (the wall clock).
double wallSeconds();

}  // namespace lg::cli
