#include "controllers/reconcile/incident_builder.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "controllers/detect/usage_digest.h"
#include "controllers/policy/api_resources.h"
#include "controllers/policy/duration.h"
#include "operator/kube/quantity.h"
#include "operator/kube/rfc3339.h"

namespace lg::reconcile {
namespace {

std::string oneDecimal(double v) {
  char buf[32];
  if (std::abs(v) >= 10 || std::abs(v - std::round(v)) < 0.05) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f", v);
  }
  return buf;
}

std::string timeString(double seconds) {
  return kube::formatRfc3339(
      Clock::time_point(std::chrono::duration_cast<Clock::time_point::duration>(
          std::chrono::duration<double>(seconds))));
}

}  // namespace

std::string formatRate(detect::Resource r, double perSecond) {
  // Pick the time unit that gives a number a person can read.
  double perMin = perSecond * 60;
  if (r == detect::Resource::kMemory) {
    if (std::abs(perMin) >= 1024) return "+" + kube::formatBytes(perMin) + "/min";
    return "+" + kube::formatBytes(perMin * 60) + "/h";
  }
  if (std::abs(perMin) >= 1) return "+" + oneDecimal(perMin) + "/min";
  return "+" + oneDecimal(perMin * 60) + "/h";
}

std::string formatExhaustion(double seconds) {
  if (!std::isfinite(seconds)) return "never";
  if (seconds < 60) return "now";
  return "in " + policy::formatDuration(seconds);
}

std::string signalName(detect::Resource r, Source s) {
  switch (r) {
    case detect::Resource::kMemory:
      return s == Source::kAgent ? "anon+shmem" : "working set";
    case detect::Resource::kFds:
      return "open fds";
    case detect::Resource::kThreads:
      return "threads";
  }
  return "?";
}

std::string incidentName(const std::string& podName, detect::Resource r, double time) {
  const auto tt = static_cast<std::time_t>(time);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char date[40];
  std::snprintf(date, sizeof date, "%04d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
  std::string suffix = r == detect::Resource::kMemory ? "" : "-" + std::string(detect::name(r));
  suffix += "-" + std::string(date);
  std::string base = podName.substr(0, 63 - suffix.size());
  while (!base.empty() && (base.back() == '-' || base.back() == '.'))
    base.pop_back();
  return base + suffix;
}

nlohmann::json incidentEvidence(const IncidentInput& in) {
  const detect::Finding& f = in.finding;
  const bool memory = in.resource == detect::Resource::kMemory;
  auto amount = [&](double v) { return memory ? kube::formatBytes(v) : oneDecimal(v); };
  nlohmann::json evidence = {
      {"signal", signalName(in.resource, in.source)},
      {"rate", formatRate(in.resource, f.slopePerSecond)},
      {"ratePerSecond", f.slopePerSecond},
      {"rateInterval", formatRate(in.resource, f.slopeLowPerSecond) + " to " +
                           formatRate(in.resource, f.slopeHighPerSecond)},
      {"exhaustion", formatExhaustion(f.exhaustionSeconds)},
      {"exhaustionAt", timeString(f.time + f.exhaustionSeconds)},
      {"exhaustionInterval", policy::formatDuration(f.exhaustionLowSeconds) + "-" +
                                 policy::formatDuration(f.exhaustionHighSeconds)},
      {"confidence", std::round(f.confidence * 1000) / 1000},
      {"value", amount(f.value)},
      {"limit", amount(f.limit)},
      {"window", policy::formatDuration(f.windowSeconds)},
      {"growthModel", std::string(detect::name(f.growth))},
      {"rejectedExplanation", std::string(detect::name(f.benign))},
  };
  if (!in.line.empty()) evidence["line"] = in.line;
  if (f.growth == detect::GrowthModel::kDiesEachLife) {
    // No window's models were compared: the evidence is the lives before this one.
    evidence.erase("rejectedExplanation");
    evidence["rateInterval"] = formatRate(in.resource, f.slopeLowPerSecond) + " to " +
                               formatRate(in.resource, f.slopeHighPerSecond) + " over its lives";
    evidence["lives"] = "grew and died at the line in each of its last " + std::to_string(f.lives) +
                        " lives, every " + policy::formatDuration(f.lifeSeconds);
  }
  return evidence;
}

std::string reachedWhat(const nlohmann::json& evidence) {
  const auto it = evidence.find("line");
  if (it == evidence.end() || !it->is_string() || it->get<std::string>().empty()) return "limit";
  std::string line = it->get<std::string>();
  line = line.substr(0, line.find(", "));
  if (line.starts_with("the ")) line.erase(0, 4);
  return line;
}

nlohmann::json incidentUsage(const IncidentInput& in,
                             std::span<const std::pair<double, double>> samples) {
  constexpr int kPoints = 48;
  const detect::Finding& f = in.finding;
  const double back = std::max(f.windowSeconds, 1.5 * f.growthSeconds);
  const auto digest = detect::digestUsage(samples, f.time - back, f.time, kPoints);
  nlohmann::json points = nlohmann::json::array();
  for (const auto& p : digest.points)
    points.push_back({{"t", std::llround(p.t - digest.start)},
                      {"min", std::round(p.min)},
                      {"max", std::round(p.max)}});
  nlohmann::json usage = {
      {"unit", in.resource == detect::Resource::kMemory ? "bytes" : "count"},
      {"limit", std::round(f.limit)},
      {"points", points},
      {"fit",
       {{"time", timeString(f.time)},
        {"value", std::round(f.value)},
        {"ratePerSecond", f.slopePerSecond},
        {"ratePerSecondLow", f.slopeLowPerSecond},
        {"ratePerSecondHigh", f.slopeHighPerSecond}}},
  };
  if (!digest.points.empty()) {
    usage["start"] = timeString(digest.start);
    usage["stepSeconds"] = std::llround(digest.stepSeconds);
  }
  return usage;
}

nlohmann::json incidentObject(const IncidentInput& in, const std::string& name) {
  const PolicyObject& p = *in.policy;
  nlohmann::json o = {
      {"apiVersion", "leakguard.io/v1alpha1"},
      {"kind", "LeakIncident"},
      {"metadata",
       {{"name", name},
        {"namespace", p.ns},
        {"labels",
         {{"app.kubernetes.io/managed-by", "leakguard"},
          {policy::kLabelPolicy, p.name},
          {policy::kLabelPodUid, in.podUid},
          {policy::kLabelContainer, in.container},
          {policy::kLabelResource, std::string(detect::name(in.resource))}}},
        {"ownerReferences",
         {{{"apiVersion", "leakguard.io/v1alpha1"},
           {"kind", "LeakPolicy"},
           {"name", p.name},
           {"uid", p.uid},
           {"controller", true},
           {"blockOwnerDeletion", false}}}}}},
      {"spec",
       {{"policy", p.name},
        {"pod", {{"name", in.podName}, {"uid", in.podUid}, {"node", in.node}}},
        {"container", in.container},
        {"resource", std::string(detect::name(in.resource))}}},
  };
  if (!in.workload.kind.empty()) {
    o["spec"]["workload"] = {{"kind", in.workload.kind}, {"name", in.workload.name}};
    if (!in.workload.revision.empty()) o["spec"]["workload"]["revision"] = in.workload.revision;
  }
  return o;
}

bool isIncidentOf(const nlohmann::json& incident, const IncidentInput& in) {
  // Whatever the API server or someone else put there: any shape but the right one is "no".
  auto object = [](const nlohmann::json& j, const char* key) {
    return j.is_object() && j.contains(key) && j[key].is_object() ? j[key]
                                                                  : nlohmann::json::object();
  };
  auto text = [](const nlohmann::json& j, const char* key) {
    return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
  };
  const auto meta = object(incident, "metadata");
  bool owned = false;
  if (meta.contains("ownerReferences") && meta["ownerReferences"].is_array())
    for (const auto& o : meta["ownerReferences"])
      owned = owned || (o.is_object() && text(o, "kind") == "LeakPolicy" &&
                        text(o, "uid") == in.policy->uid && o.contains("controller") &&
                        o["controller"] == true);
  const auto spec = object(incident, "spec");
  return owned && text(spec, "policy") == in.policy->name &&
         text(object(spec, "pod"), "uid") == in.podUid && text(spec, "container") == in.container &&
         text(spec, "resource") == std::string(detect::name(in.resource));
}

}  // namespace lg::reconcile
