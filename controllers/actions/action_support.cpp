#include "controllers/actions/action_support.h"

#include <cmath>

#include "operator/kube/eviction.h"
#include "operator/kube/rfc3339.h"

namespace lg::actions {

kube::ResourceRef podRef(const std::string& ns, const std::string& name, const std::string& sub) {
  return {
      .group = "", .version = "v1", .resource = "pods", .ns = ns, .name = name, .subresource = sub};
}

kube::ResourceRef appsRef(const std::string& resource, const std::string& ns,
                          const std::string& name) {
  return {.group = "apps",
          .version = "v1",
          .resource = resource,
          .ns = ns,
          .name = name,
          .subresource = ""};
}

kube::ResourceRef nodeRef(const std::string& name) {
  return {
      .group = "", .version = "v1", .resource = "nodes", .ns = "", .name = name, .subresource = ""};
}

bool nodeUnderMemoryPressure(const nlohmann::json& node) {
  if (!node.is_object()) return false;
  const auto& status = node.value("status", nlohmann::json::object());
  if (!status.is_object()) return false;
  auto conds = status.find("conditions");
  if (conds == status.end() || !conds->is_array()) return false;
  for (const auto& c : *conds)
    if (c.is_object() && c.value("type", "") == "MemoryPressure")
      return c.value("status", "") == "True";
  return false;
}

kube::ResourceRef coreRef(const std::string& resource, const std::string& ns,
                          const std::string& name) {
  return {.group = "",
          .version = "v1",
          .resource = resource,
          .ns = ns,
          .name = name,
          .subresource = ""};
}

std::string patchableOwnerResource(const std::string& kind) {
  if (kind == "Deployment") return "deployments";
  if (kind == "StatefulSet") return "statefulsets";
  if (kind == "DaemonSet") return "daemonsets";
  return "";
}

kube::WriteOptions writeOptions(const ActionContext& ctx) {
  kube::WriteOptions o;
  o.timeout = ctx.timeout;
  return o;
}

std::string isoTime(double seconds) {
  return kube::formatRfc3339(
      Clock::time_point(std::chrono::duration_cast<Clock::time_point::duration>(
          std::chrono::duration<double>(seconds))));
}

std::string stringAt(const nlohmann::json& j, const char* pointer) {
  try {
    const nlohmann::json::json_pointer p(pointer);
    if (!j.contains(p)) return "";
    const auto& v = j.at(p);
    return v.is_string() ? v.get<std::string>() : "";
  } catch (const std::exception&) {
    return "";  // a path through a non-object: absent
  }
}

std::optional<double> numberAt(const nlohmann::json& j, const char* pointer) {
  try {
    const nlohmann::json::json_pointer p(pointer);
    if (!j.contains(p)) return std::nullopt;
    const auto& v = j.at(p);
    if (!v.is_number() || !std::isfinite(v.get<double>())) return std::nullopt;
    return v.get<double>();
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::string whyNotEvictable(const ActionTarget& t) {
  if (!t.workloadKind.empty()) return "";
  return "pod " + t.podName +
         " has no controller owner: evicting it would delete it for good, so LeakGuard leaves "
         "it (restart it yourself, or run it under a Deployment or StatefulSet)";
}

namespace {

// An eviction naming the pod's uid may be sent again without a second effect: the pod is
// evicted once, and a repeat finds it gone (404) or replaced (409). The API client does not
// repeat a POST the server may have acted on; these are. Tries: 3, waits 1 s then 2 s.
constexpr int kEvictionTries = 3;
bool transient(const Error& e) {
  return e.code == 0 || (e.code >= 500 && e.code != 501);
}
void pauseBeforeTry(const ActionContext& ctx, int tried) {
  if (ctx.pause) ctx.pause(std::chrono::milliseconds(1000 * tried));
}

}  // namespace

Result<Verification> verifyPodGone(const ActionContext& ctx, const std::string& what) {
  const auto& t = *ctx.target;
  auto pod = ctx.api->get(podRef(t.ns, t.podName));
  if (!pod) {
    if (pod.error().code == 404)
      return Verification::done("pod " + t.podName + " is gone: the " + what + " happened");
    return pod.error();
  }
  if (stringAt(*pod, "/metadata/uid") != t.podUid)
    return Verification::done("pod " + t.podName + " was replaced: the " + what + " happened");
  if (!stringAt(*pod, "/metadata/deletionTimestamp").empty())
    return Verification::done("pod " + t.podName + " is terminating: the " + what + " happened");
  return Verification::notDone("pod " + t.podName + " is still running: the " + what +
                               " did not happen");
}

EvictionCheck evictDryRun(const ActionContext& ctx, const std::string& podName) {
  const auto& t = *ctx.target;
  // Only the pod the incident is about: a same-named replacement (a StatefulSet's) is not.
  nlohmann::json body = kube::evictionBody(
      t.ns, podName, {.preconditionUid = podName == t.podName ? t.podUid : std::string()});
  body["deleteOptions"]["dryRun"] = nlohmann::json::array({"All"});
  kube::WriteOptions w = writeOptions(ctx);
  w.fieldManager = "";
  auto r = ctx.api->create(podRef(t.ns, podName, "eviction"), body, w);
  for (int tried = 1; !r && transient(r.error()) && tried < kEvictionTries; ++tried) {
    pauseBeforeTry(ctx, tried);
    r = ctx.api->create(podRef(t.ns, podName, "eviction"), body, w);
  }
  if (r) return {.allowed = true, .failed = false, .why = ""};
  const auto& e = r.error();
  if (e.code == 429)
    return {.allowed = false,
            .failed = false,
            .why = "a PodDisruptionBudget forbids evicting pod " + podName + " now (" + e.message +
                   "); waiting"};
  if (e.code == 404)
    return {.allowed = false, .failed = false, .why = "pod " + podName + " is gone"};
  if (e.code == 409)
    return {.allowed = false,
            .failed = false,
            .why = "pod " + podName + " is gone: the pod of that name now is a replacement (" +
                   e.message + ")"};
  return {.allowed = false,
          .failed = true,
          .why = "cannot ask the Eviction API about pod " + podName + ": " + e.message};
}

ActionResult evict(const ActionContext& ctx, const std::string& podName,
                   const std::string& successReason, const std::string& successMessage) {
  kube::DeleteOptions del;
  del.timeout = ctx.timeout;
  // This pod, never a same-named replacement.
  if (podName == ctx.target->podName) del.preconditionUid = ctx.target->podUid;
  auto st = kube::evictPod(*ctx.api, ctx.target->ns, podName, del);
  std::string earlier;  // the transient failures before this answer
  for (int tried = 1; !st.ok() && transient(st.error()) && tried < kEvictionTries; ++tried) {
    earlier += (earlier.empty() ? "" : "; ") + st.error().message;
    pauseBeforeTry(ctx, tried);
    st = kube::evictPod(*ctx.api, ctx.target->ns, podName, del);
  }
  if (st.ok())
    return ActionResult::succeeded(
        successReason,
        successMessage + (earlier.empty() ? "" : " (after " + earlier + ", tried again)"));
  const auto& e = st.error();
  // Gone after a try whose answer was lost (a dropped connection, a 5xx): that try may well
  // have been the eviction.
  if (!earlier.empty() && (e.code == 404 || e.code == 409))
    return ActionResult::succeeded(
        successReason, successMessage + " (an earlier try's answer was lost: " + earlier +
                           "; the pod is gone now)");
  if (!earlier.empty() && transient(e))
    return ActionResult::failed("evicting pod " + podName + ": " + earlier + "; " + e.message);
  if (e.code == 429)
    return ActionResult::failed("a PodDisruptionBudget refused the eviction of pod " + podName +
                                ": " + e.message);
  if (e.code == 404) return ActionResult::notPossible("pod " + podName + " was already gone");
  if (e.code == 409)
    return ActionResult::notPossible("pod " + podName +
                                     " was already gone: the pod of that name now is a "
                                     "replacement, left alone (" +
                                     e.message + ")");
  return ActionResult::failed("evicting pod " + podName + ": " + e.message);
}

}  // namespace lg::actions
