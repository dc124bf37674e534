#pragma once
// Builds LeakIncident objects and their human-readable strings from a finding. Pure; the
// reconciler does the writing. Names are deterministic for a (pod, container, resource, day), so
// a reconcile that runs twice finds the incident it made instead of making another.

#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <utility>

#include "controllers/detect/finding.h"
#include "controllers/detect/resource.h"
#include "controllers/reconcile/cached_objects.h"
#include "controllers/reconcile/pod_selection.h"
#include "controllers/reconcile/usage_hub.h"

namespace lg::reconcile {

// "+3.1Mi/min", "+12/h", "+0.4/min": the growth rate in the unit a person reads.
std::string formatRate(detect::Resource r, double perSecond);
// "in 41m", "in 3h25m", "now".
std::string formatExhaustion(double seconds);
// What was measured: "anon+shmem", "working set", "open fds", "threads".
std::string signalName(detect::Resource r, Source s);

// <pod name, trimmed>-<resource unless memory>-<YYYYMMDD>; at most 63 characters.
std::string incidentName(const std::string& podName, detect::Resource r, double time);

struct IncidentInput {
  const PolicyObject* policy = nullptr;
  std::string podName, podUid, node, container;
  Workload workload;
  detect::Resource resource = detect::Resource::kMemory;
  Source source = Source::kMetricsServer;
  detect::Finding finding;
  double firstSuspected = 0;
  // When the finding's limit is a runtime's line, not the container's (SeriesView::lineName).
  std::string line;
};

// The whole object to create (metadata with labels and the policy as controlling owner, spec).
nlohmann::json incidentObject(const IncidentInput& in, const std::string& name);
// Whether an existing incident (as the API server returned it) is the one incidentObject(in)
// would create: the same policy (its uid, as controlling owner), pod uid, container and
// resource. Another policy's incident of the same name (two policies covering one pod) is not:
// a 409 on create must never make a policy adopt it.
bool isIncidentOf(const nlohmann::json& incident, const IncidentInput& in);
// The evidence block of the status.
nlohmann::json incidentEvidence(const IncidentInput& in);
// What the leak reaches, for messages: "limit", or the runtime's cap ("JVM heap max") when the
// evidence names a line.
std::string reachedWhat(const nlohmann::json& evidence);
// The usage block of the status (what `kubectl leakguard explain` draws): the series' samples
// (UsageHub::history) before the finding, as at most 48 buckets (detect::digestUsage) reaching
// back to the analysed window and a half of the growth before it, and the fitted trend.
nlohmann::json incidentUsage(const IncidentInput& in,
                             std::span<const std::pair<double, double>> samples);

}  // namespace lg::reconcile
