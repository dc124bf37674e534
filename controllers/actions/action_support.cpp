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

// A dropped connection or a 5xx is tried again (3 tries, waits 1 s then 2 s), but only once the
// pod is seen still running: the API server answers Success to the eviction of a pod that is
// terminating already, so a blind repeat of a try whose answer was lost would evict it twice.
constexpr int kEvictionTries = 3;
bool transient(const Error& e) {
  return e.code == 0 || (e.code >= 500 && e.code != 501);
}
void pauseBeforeTry(const ActionContext& ctx, int tried) {
  if (ctx.pause) ctx.pause(std::chrono::milliseconds(1000 * tried));
}

enum class PodNow { kRunning, kGone, kReplaced, kTerminating };

// The incident's pod as the API server has it now (a quorum read).
Result<PodNow> podNow(const ActionContext& ctx) {
  const auto& t = *ctx.target;
  auto pod = ctx.api->get(podRef(t.ns, t.podName));
  if (!pod) {
    if (pod.error().code == 404) return PodNow::kGone;
    return pod.error();
  }
  if (stringAt(*pod, "/metadata/uid") != t.podUid) return PodNow::kReplaced;
  if (!stringAt(*pod, "/metadata/deletionTimestamp").empty()) return PodNow::kTerminating;
  return PodNow::kRunning;
}

std::string describe(PodNow s, const std::string& pod) {
  switch (s) {
    case PodNow::kGone:
      return "pod " + pod + " is gone";
    case PodNow::kReplaced:
      return "pod " + pod + " is gone: the pod of that name now is a replacement";
    case PodNow::kTerminating:
      return "pod " + pod + " is terminating";
    case PodNow::kRunning:
      break;
  }
  return "pod " + pod + " is still running";
}

}  // namespace

Result<Verification> verifyPodGone(const ActionContext& ctx, const std::string& what) {
  auto now = podNow(ctx);
  if (!now) return now.error();
  const std::string seen = describe(*now, ctx.target->podName);
  if (*now == PodNow::kRunning)
    return Verification::notDone(seen + ": the " + what + " did not happen");
  return Verification::done(
      (*now == PodNow::kReplaced ? "pod " + ctx.target->podName + " was replaced" : seen) +
      ": the " + what + " happened");
}

EvictionCheck evictionCheck(const ActionContext& ctx) {
  const auto& t = *ctx.target;
  // Only a pod still running: one terminating is going already (by an earlier attempt whose
  // outcome was lost, or by someone else), and the Eviction API would answer Success to it
  // again, which would be a second eviction in the audit log and a second PodRestarted.
  auto now = podNow(ctx);
  if (!now)
    return {.allowed = false,
            .failed = true,
            .why = "cannot read pod " + t.podName + ": " + now.error().message};
  if (*now == PodNow::kTerminating)
    return {.allowed = false,
            .failed = false,
            .why = describe(*now, t.podName) + " already: evicting it again would change nothing"};
  if (*now != PodNow::kRunning)
    return {.allowed = false, .failed = false, .why = describe(*now, t.podName)};
  // Then the API server's own answer (PodDisruptionBudgets), naming this pod by uid.
  nlohmann::json body = kube::evictionBody(t.ns, t.podName, {.preconditionUid = t.podUid});
  body["deleteOptions"]["dryRun"] = nlohmann::json::array({"All"});
  kube::WriteOptions w = writeOptions(ctx);
  w.fieldManager = "";
  auto r = ctx.api->create(podRef(t.ns, t.podName, "eviction"), body, w);
  for (int tried = 1; !r && transient(r.error()) && tried < kEvictionTries; ++tried) {
    pauseBeforeTry(ctx, tried);
    r = ctx.api->create(podRef(t.ns, t.podName, "eviction"), body, w);
  }
  if (r) return {.allowed = true, .failed = false, .why = ""};
  const auto& e = r.error();
  if (e.code == 429)
    return {.allowed = false,
            .failed = false,
            .why = "a PodDisruptionBudget forbids evicting pod " + t.podName + " now (" +
                   e.message + "); waiting"};
  if (e.code == 404)
    return {.allowed = false, .failed = false, .why = describe(PodNow::kGone, t.podName)};
  if (e.code == 409)
    return {.allowed = false,
            .failed = false,
            .why = describe(PodNow::kReplaced, t.podName) + " (" + e.message + ")"};
  return {.allowed = false,
          .failed = true,
          .why = "cannot ask the Eviction API about pod " + t.podName + ": " + e.message};
}

ActionResult evict(const ActionContext& ctx, const std::string& successReason,
                   const std::string& successMessage) {
  const auto& t = *ctx.target;
  kube::DeleteOptions del;
  del.timeout = ctx.timeout;
  del.preconditionUid = t.podUid;  // this pod, never a same-named replacement
  auto st = kube::evictPod(*ctx.api, t.ns, t.podName, del);
  std::string earlier;  // the transient failures before this answer
  for (int tried = 1; !st.ok() && transient(st.error()); ++tried) {
    const std::string lost = (earlier.empty() ? "" : earlier + "; ") + st.error().message;
    // The answer is lost, maybe not the eviction: a pod no longer running was evicted by it.
    if (auto now = podNow(ctx); now && *now != PodNow::kRunning)
      return ActionResult::succeeded(successReason, successMessage +
                                                        " (the answer was lost: " + lost + "; " +
                                                        describe(*now, t.podName) + " now)");
    if (tried == kEvictionTries) break;
    earlier = lost;
    pauseBeforeTry(ctx, tried);
    st = kube::evictPod(*ctx.api, t.ns, t.podName, del);
  }
  if (st.ok())
    return ActionResult::succeeded(
        successReason,
        successMessage + (earlier.empty() ? "" : " (after " + earlier + ", tried again)"));
  const auto& e = st.error();
  // Gone after a try whose answer was lost, between the look and the next try.
  if (!earlier.empty() && (e.code == 404 || e.code == 409))
    return ActionResult::succeeded(
        successReason, successMessage + " (the answer was lost: " + earlier + "; " +
                           describe(e.code == 404 ? PodNow::kGone : PodNow::kReplaced, t.podName) +
                           " now)");
  if (transient(e))
    return ActionResult::failed("evicting pod " + t.podName + ": " +
                                (earlier.empty() ? "" : earlier + "; ") + e.message);
  if (e.code == 429)
    return ActionResult::failed("a PodDisruptionBudget refused the eviction of pod " + t.podName +
                                ": " + e.message);
  if (e.code == 404) return ActionResult::notPossible("pod " + t.podName + " was already gone");
  if (e.code == 409)
    return ActionResult::notPossible("pod " + t.podName +
                                     " was already gone: the pod of that name now is a "
                                     "replacement, left alone (" +
                                     e.message + ")");
  return ActionResult::failed("evicting pod " + t.podName + ": " + e.message);
}

}  // namespace lg::actions
