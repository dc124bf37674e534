#pragma once
// The config of a pod's service account: the API server from KUBERNETES_SERVICE_HOST/PORT
// (IPv6 hosts in brackets), the CA from <root>/ca.crt, the namespace from <root>/namespace and
// the token from <root>/token, re-read as kubelet rotates it (FileTokenSource).

#include <chrono>
#include <string>

#include "operator/kube/cluster_config.h"
#include "operator/util/clock.h"

namespace lg::kube {

// Errors say which variable or file is missing. `clock` must outlive the returned config's
// token source.
Result<ClusterConfig> loadInClusterConfig(
    const std::string& root = kServiceAccountRoot, const EnvLookup& env = processEnv(),
    const Clock& clock = SystemClock::instance(),
    std::chrono::seconds tokenMaxAge = std::chrono::seconds(60));

}  // namespace lg::kube
