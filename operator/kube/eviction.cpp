#include "operator/kube/eviction.h"

namespace lg::kube {

nlohmann::json evictionBody(const std::string& ns, const std::string& name,
                            const DeleteOptions& opts) {
  nlohmann::json body = {{"apiVersion", "policy/v1"},
                         {"kind", "Eviction"},
                         {"metadata", {{"name", name}, {"namespace", ns}}}};
  nlohmann::json del = nlohmann::json::object();
  if (opts.gracePeriodSeconds) del["gracePeriodSeconds"] = *opts.gracePeriodSeconds;
  if (!opts.propagationPolicy.empty()) del["propagationPolicy"] = opts.propagationPolicy;
  if (!opts.preconditionResourceVersion.empty())
    del["preconditions"]["resourceVersion"] = opts.preconditionResourceVersion;
  if (!opts.preconditionUid.empty()) del["preconditions"]["uid"] = opts.preconditionUid;
  if (!del.empty()) body["deleteOptions"] = del;
  return body;
}

Status evictPod(ApiClient& client, const std::string& ns, const std::string& name,
                const DeleteOptions& opts) {
  const ResourceRef ref{.group = "",
                        .version = "v1",
                        .resource = "pods",
                        .ns = ns,
                        .name = name,
                        .subresource = "eviction"};
  WriteOptions write;
  write.fieldManager = "";  // an eviction manages no fields
  write.timeout = opts.timeout;
  auto r = client.create(ref, evictionBody(ns, name, opts), write);
  if (!r) return r.error();
  return okStatus();
}

}  // namespace lg::kube
