#pragma once
// SeriesRouter: what joins the usage hub to the LeakPolicies.
//
// - Which series the hub follows, and with what detector settings (optionsFor): a container's
//   resource is followed when some usable policy covers its pod, watches that resource and
//   that container; the settings are those of the policy that judges the series
//   (judgingPolicy, below).
// - Where a finding goes (onFinding): the forecast gauge of the series, the findings counter of
//   every policy covering the pod, and a reconcile of each of those policies.
// - What goes when a pod or a policy goes (podDeleted, policyDeleted): the hub's series and the
//   forecast gauges of the pod; the policy's detector settings and findings series.
// - What the node agents that detect follow (assignments): the same choice, per node, as the
//   detection wire carries it; and the controller's hub then follows none of those nodes' pods
//   (detectedOnNode).
//
// Thread-safe: the hub calls optionsFor and onFinding from the sources' threads, the informers
// call the rest from theirs; everything it touches is thread-safe.

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "controllers/detect/finding.h"
#include "controllers/reconcile/cached_objects.h"
#include "controllers/reconcile/detection_wire.h"
#include "controllers/reconcile/detector_settings.h"
#include "controllers/reconcile/forecast_gauges.h"
#include "controllers/reconcile/usage_hub.h"
#include "operator/runtime/metrics_registry.h"
#include "operator/runtime/pod_projection.h"
#include "operator/runtime/store.h"
#include "operator/util/clock.h"

namespace lg::reconcile {

// Among the policies covering a pod, the one whose detection settings judge the series of
// `container`'s `resource`, or nullptr when none of them is usable and watches it.
//
// The oldest policy wins (metadata.creationTimestamp; the namespace/name breaks ties and stands
// in for a missing timestamp). One detector follows a series, so one policy's settings must be
// chosen, and the oldest is the stable choice: a policy created later, possibly by another team
// of the namespace, never restarts the detectors (and throws away the history) of series already
// followed, and cannot loosen the settings they are judged by. Every covering policy still
// receives the findings and acts on them with its own playbook.
const PolicyObject* judgingPolicy(const std::vector<std::shared_ptr<const PolicyObject>>& covering,
                                  const std::string& container, detect::Resource resource);

struct SeriesRouterDeps {
  const runtime::Store<PolicyObject>* policies = nullptr;
  const runtime::Store<runtime::PodProjection>* pods = nullptr;
  // The keys (namespace/name) of the policies covering a pod (PolicyReconciler).
  std::function<std::vector<std::string>(const runtime::PodProjection&)> policiesCovering;
  UsageHub* hub = nullptr;
  DetectorSettings* settings = nullptr;
  ForecastGauges* forecast = nullptr;
  // leakguard_findings_total{resource,policy,namespace}
  runtime::CounterFamily* findingsTotal = nullptr;
  // Asks for a reconcile of a policy (its key).
  std::function<void(const std::string&)> wake;
  Clock* clock = nullptr;
  // Whether the series of pods on this node are judged by its agent (AgentDetection::detects);
  // unset: none are.
  std::function<bool(const std::string& node)> detectedOnNode;
};

// Whether a pod's update may change what its node's agent is assigned (phase, deletion, labels,
// node, containers): a status update that changes none of them (most do not) does not make the
// node's assignment be worked out again.
bool assignmentMayChange(const runtime::PodProjection& before, const runtime::PodProjection& after);

class SeriesRouter {
 public:
  explicit SeriesRouter(SeriesRouterDeps deps) : d_(std::move(deps)) {}

  std::shared_ptr<const detect::DetectorOptions> optionsFor(const UsageSample& s) const;
  // The series each of `nodes`' agents should follow, and with which settings: the pods the
  // API server places there that are not finished, each container's resources that
  // optionsFor would follow. Pods in uid order; every node of `nodes` has an entry.
  std::map<std::string, DetectionAssignment> assignments(const std::set<std::string>& nodes) const;
  void onFinding(const SeriesKey& key, const SeriesView& view, const detect::Finding& f);
  void podDeleted(const runtime::PodProjection& pod);
  void policyDeleted(const PolicyObject& policy);

 private:
  std::vector<std::shared_ptr<const PolicyObject>> covering(
      const runtime::PodProjection& pod) const;

  SeriesRouterDeps d_;
};

}  // namespace lg::reconcile
