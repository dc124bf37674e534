#include "controllers/actions/disruption_ledger.h"

#include "controllers/actions/action_support.h"
#include "operator/kube/rfc3339.h"

namespace lg::actions {
namespace {

// A claim's end: {"until": "<RFC 3339>", "incident": "<name>"}, or the bare time an older
// LeakGuard wrote.
double untilOf(const nlohmann::json& claim) {
  const nlohmann::json& v = claim.is_object() && claim.contains("until") ? claim["until"] : claim;
  if (!v.is_string()) return 0;
  auto t = kube::parseRfc3339(v.get<std::string>());
  return t ? toSeconds(*t) : 0;
}

// The incident that claimed it ("" when the claim does not say).
std::string claimantOf(const nlohmann::json& claim) {
  if (!claim.is_object() || !claim.contains("incident") || !claim["incident"].is_string())
    return "";
  return claim["incident"].get<std::string>();
}

}  // namespace

DisruptionClaim DisruptionLedger::decide(const nlohmann::json& current,
                                         const DisruptionRequest& r) {
  nlohmann::json live = nlohmann::json::object();
  if (current.is_object())
    for (const auto& [uid, claim] : current.items())
      if (untilOf(claim) > r.now) live[uid] = claim;
  if (live.contains(r.podUid)) {
    // This incident's own claim (a try again): granted. Another incident's: the pod is being
    // evicted already (by another controller that opened its own incident for it, or for
    // another resource of the same pod), and a second eviction would be a second restart.
    const std::string by = claimantOf(live[r.podUid]);
    if (by == r.incident) return {.granted = true, .why = "", .claims = nullptr};
    return {.granted = false,
            .why = "pod being evicted already, for " +
                   (by.empty() ? std::string("another LeakGuard controller") : "incident " + by),
            .claims = nullptr};
  }
  int others = 0;
  for (const auto& [uid, claim] : live.items())
    others += r.readyPods.count(uid) ? 1 : 0;
  if (r.unavailable + others >= r.maxUnavailable)
    return {.granted = false,
            .why = "maxUnavailable " + std::to_string(r.maxUnavailable) + ": " +
                   std::to_string(r.unavailable + others) + " pods are unavailable (" +
                   std::to_string(others) + " being evicted by another LeakGuard controller)",
            .claims = nullptr};
  live[r.podUid] = {{"until", isoTime(r.now + r.ttlSeconds)}, {"incident", r.incident}};
  return {.granted = true, .why = "", .claims = live};
}

Result<DisruptionClaim> DisruptionLedger::claim(const ActionContext& ctx,
                                                const DisruptionRequest& r) {
  const auto& t = *ctx.target;
  const std::string resource = patchableOwnerResource(t.workloadKind);
  if (resource.empty()) return DisruptionClaim{.granted = true, .why = "", .claims = nullptr};
  const auto ref = appsRef(resource, t.ns, t.workloadName);
  Error last;
  for (int tries = 0; tries < 3; ++tries) {
    auto w = ctx.api->get(ref);
    if (!w) {
      if (w.error().code == 404)  // the workload is gone: its pods go with it
        return DisruptionClaim{.granted = true, .why = "", .claims = nullptr};
      return w.error();
    }
    nlohmann::json current;
    try {
      current =
          nlohmann::json::parse(stringAt(*w, "/metadata/annotations/leakguard.io~1disruptions"));
    } catch (const std::exception&) {
      current = nullptr;  // absent or not ours to read: no claims
    }
    auto d = decide(current, r);
    if (!d.granted || d.claims.is_null()) return d;
    const nlohmann::json patch = {{"metadata",
                                   {{"resourceVersion", stringAt(*w, "/metadata/resourceVersion")},
                                    {"annotations", {{kDisruptionsAnnotation, d.claims.dump()}}}}}};
    auto p = ctx.api->patch(ref, kube::PatchType::kMerge, patch, writeOptions(ctx));
    if (p) return d;
    last = p.error();
    if (last.code != 409) return last;  // 403: no ledger here; the caller decides
  }
  return last;
}

}  // namespace lg::actions
