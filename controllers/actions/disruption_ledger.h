#pragma once
// maxUnavailable across controllers: before LeakGuard evicts a pod of a workload it claims the
// disruption on the workload object itself, in the annotation leakguard.io/disruptions
// ({"<pod uid>": {"until": "<RFC 3339>", "incident": "<the claiming incident>"}}), written with
// the resourceVersion it read. Two controllers (two installs, or an old leader still finishing)
// that evict pods of one workload at once both write it, so one of them fails (409), reads the
// other's claim and counts it: a pod claimed by another controller that this one's cache still
// shows Ready is unavailable too.
// A pod claimed by another incident is not claimed again: two incidents of one pod (two
// controllers that each opened one, or two resources of the pod) evict it once.
// Claims last `ttlSeconds` (by then the evicted pod is terminating or gone in every cache).
// Deployments, StatefulSets and DaemonSets (the kinds the controller may patch); for other
// owners the claim is granted without a ledger (the caches' count alone holds).
// decide() is pure; claim() reads and writes the workload.

#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "controllers/actions/action.h"

namespace lg::actions {

inline constexpr const char* kDisruptionsAnnotation = "leakguard.io/disruptions";

struct DisruptionClaim {
  bool granted = false;
  std::string why;                  // when not granted
  nlohmann::json claims = nullptr;  // the annotation's new value; null: nothing to write
};

struct DisruptionRequest {
  std::string podUid;
  std::string incident;             // the claimant: the incident the eviction is for
  std::set<std::string> readyPods;  // uids of the workload's pods this cache counts available
  int unavailable = 0;              // as this cache counts them
  int maxUnavailable = 1;
  double now = 0;
  double ttlSeconds = 120;
};

class DisruptionLedger {
 public:
  // `current`: the annotation's value as read (a JSON object; anything else is no claims).
  static DisruptionClaim decide(const nlohmann::json& current, const DisruptionRequest& r);
  // Claims the disruption of the target's pod on its workload (up to 3 tries on a conflict).
  static Result<DisruptionClaim> claim(const ActionContext& ctx, const DisruptionRequest& r);
};

}  // namespace lg::actions
