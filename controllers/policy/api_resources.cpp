#include "controllers/policy/api_resources.h"

namespace lg::policy {
namespace {

kube::ResourceRef ref(const char* resource, const std::string& ns, const std::string& name,
                      const std::string& subresource) {
  return {.group = kApiGroup,
          .version = kApiVersion,
          .resource = resource,
          .ns = ns,
          .name = name,
          .subresource = subresource};
}

}  // namespace

kube::ResourceRef leakPoliciesRef(const std::string& ns, const std::string& name,
                                  const std::string& subresource) {
  return ref("leakpolicies", ns, name, subresource);
}

kube::ResourceRef leakIncidentsRef(const std::string& ns, const std::string& name,
                                   const std::string& subresource) {
  return ref("leakincidents", ns, name, subresource);
}

}  // namespace lg::policy
