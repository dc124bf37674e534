#include "controllers/actions/event_fanout.h"

#include <vector>

#include "controllers/policy/api_resources.h"
#include "operator/util/logger.h"

namespace lg::actions {

std::string ownerApiVersion(const std::string& kind) {
  if (kind == "Deployment" || kind == "StatefulSet" || kind == "DaemonSet" || kind == "ReplicaSet")
    return "apps/v1";
  if (kind == "Job" || kind == "CronJob") return "batch/v1";
  return "v1";
}

void recordOnPodOwnerAndPolicy(kube::EventRecorder& events, const EventSubject& s,
                               kube::EventType type, const std::string& reason,
                               const std::string& action, const std::string& note) {
  std::vector<kube::ObjectReference> refs;
  refs.push_back({.apiVersion = "v1",
                  .kind = "Pod",
                  .ns = s.ns,
                  .name = s.podName,
                  .uid = s.podUid,
                  .fieldPath = ""});
  if (!s.workloadKind.empty() && !s.workloadName.empty())
    refs.push_back({.apiVersion = ownerApiVersion(s.workloadKind),
                    .kind = s.workloadKind,
                    .ns = s.ns,
                    .name = s.workloadName,
                    .uid = "",
                    .fieldPath = ""});
  refs.push_back({.apiVersion = std::string(policy::kApiGroup) + "/" + policy::kApiVersion,
                  .kind = "LeakPolicy",
                  .ns = s.ns,
                  .name = s.policyName,
                  .uid = s.policyUid,
                  .fieldPath = ""});
  for (const auto& ref : refs) {
    const std::string text = ref.kind == "Pod" ? note : "pod " + s.podName + ": " + note;
    if (auto st = events.record(ref, type, reason, action, text); !st)
      LG_LOG(warn, "cannot record event",
             {{"reason", reason}, {"kind", ref.kind}, {"error", st.error().message}});
  }
}

}  // namespace lg::actions
