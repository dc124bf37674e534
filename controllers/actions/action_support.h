#pragma once
// Small helpers the actions share: resource refs with the call's deadline, times, the
// eviction pre-check. Pure except evictionCheck(), evict() and verifyPodGone(), which call the API.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "controllers/actions/action.h"

namespace lg::actions {

kube::ResourceRef podRef(const std::string& ns, const std::string& name,
                         const std::string& sub = "");
kube::ResourceRef appsRef(const std::string& resource, const std::string& ns,
                          const std::string& name = "");
kube::ResourceRef nodeRef(const std::string& name);
// True when the node object reports the MemoryPressure condition True.
bool nodeUnderMemoryPressure(const nlohmann::json& node);
// A core/v1 resource of a namespace ("configmaps", "limitranges"...).
kube::ResourceRef coreRef(const std::string& resource, const std::string& ns,
                          const std::string& name = "");
// The apps/v1 resource of a pod owner's kind the controller may patch (deployments,
// statefulsets, daemonsets), or "" for any other kind.
std::string patchableOwnerResource(const std::string& kind);

kube::WriteOptions writeOptions(const ActionContext& ctx);

// RFC 3339 (seconds) for a time in seconds since the epoch.
std::string isoTime(double seconds);

// Reads a string at a JSON pointer ("/metadata/uid"); "" when absent or not a string.
std::string stringAt(const nlohmann::json& j, const char* pointer);
// Reads a number at a JSON pointer; nullopt when absent, not a number or not finite.
std::optional<double> numberAt(const nlohmann::json& j, const char* pointer);

// Whether the incident's pod may be evicted now. The pod is read first: only one still running
// is (a terminating one is going already, and the Eviction API answers Success to it again);
// then the Eviction API with dryRun=All answers as it would for the real eviction (429 while a
// PodDisruptionBudget forbids it) and changes nothing. `why` says why not ("a
// PodDisruptionBudget forbids evicting pod x now (<API message>); waiting", "pod x is gone",
// "pod x is terminating already: ..."); an error reaching the API is `failed`.
struct EvictionCheck {
  bool allowed = false;
  bool failed = false;  // the API could not be asked
  std::string why;
};
EvictionCheck evictionCheck(const ActionContext& ctx);

// Whether the target pod went (after a crash between "Started" and the outcome of an eviction):
// gone, replaced or terminating is kDone, the same pod still running kNotDone. `what` names the
// side effect in the message ("eviction").
Result<Verification> verifyPodGone(const ActionContext& ctx, const std::string& what);

// Why the target's pod must not be evicted at all, or "" when it may be: a pod with no
// controller owner (no Deployment, StatefulSet, DaemonSet, Job... re-creates it) would be
// deleted for good.
std::string whyNotEvictable(const ActionTarget& t);

// The real eviction of the incident's pod, as an ActionResult with `successReason` on success:
// 429 is a failure (retried after the cooldown), 404 "not possible" (the pod is gone already).
// It carries the pod's uid as a precondition: a same-named replacement (a StatefulSet's)
// answers 409, "not possible", and is left alone. A dropped connection or a 5xx may have
// evicted the pod all the same, so the pod is read before any repeat: terminating or gone means
// that try evicted it (Succeeded); still running, it is tried again (3 tries, ctx.pause
// between). Never a blind repeat: the API server would answer it Success and evict twice.
ActionResult evict(const ActionContext& ctx, const std::string& successReason,
                   const std::string& successMessage);

}  // namespace lg::actions
