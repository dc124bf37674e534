#pragma once
// LeakGuard's own API (crds/): the group and version of its resources, references to them for
// the API client, and the labels it puts on what it creates so that it can find them again.
// Written once here for the reconcilers, the playbook actions and the CLI.

#include <string>

#include "operator/kube/api_client.h"

namespace lg::policy {

inline constexpr const char* kApiGroup = "leakguard.io";
inline constexpr const char* kApiVersion = "v1alpha1";

// leakpolicies or leakincidents, in `ns` ("" across namespaces), named or the collection, with an
// optional subresource ("status").
kube::ResourceRef leakPoliciesRef(const std::string& ns = "", const std::string& name = "",
                                  const std::string& subresource = "");
kube::ResourceRef leakIncidentsRef(const std::string& ns = "", const std::string& name = "",
                                   const std::string& subresource = "");

// Labels on LeakIncidents and on the diagnostics ConfigMaps.
inline constexpr const char* kLabelPolicy = "leakguard.io/policy";
inline constexpr const char* kLabelPodUid = "leakguard.io/pod-uid";
inline constexpr const char* kLabelContainer = "leakguard.io/container";
inline constexpr const char* kLabelResource = "leakguard.io/resource";

}  // namespace lg::policy
