#pragma once
// Evicting a pod through the Eviction API (policy/v1), the way to delete a pod that respects
// its PodDisruptionBudgets.

#include <string>

#include "operator/kube/api_client.h"

namespace lg::kube {

// The policy/v1 Eviction body for pod ns/name, with deleteOptions from opts.
nlohmann::json evictionBody(const std::string& ns, const std::string& name,
                            const DeleteOptions& opts);

// POSTs the Eviction to pods/<name>/eviction. ok: the pod is being deleted. Error code 429:
// a PodDisruptionBudget forbids it now (the message names the budget; HttpApiClient does not
// retry it); 404: no such pod; 409: a precondition (opts.preconditionUid: not this pod but a
// same-named replacement) does not hold; otherwise as ApiClient::create.
Status evictPod(ApiClient& client, const std::string& ns, const std::string& name,
                const DeleteOptions& opts = {});

}  // namespace lg::kube
