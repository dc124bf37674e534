#include "controllers/reconcile/policy_reconciler.h"

#include <algorithm>
#include <map>
#include <set>

#include "controllers/reconcile/incident_builder.h"
#include "operator/kube/rfc3339.h"
#include "operator/util/logger.h"

namespace lg::reconcile {
namespace {

std::string isoTime(double seconds) {
  return kube::formatRfc3339(Clock::time_point(std::chrono::duration_cast<Clock::time_point::duration>(
      std::chrono::duration<double>(seconds))));
}

double parseTime(const nlohmann::json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_string()) return 0;
  auto t = kube::parseRfc3339(j[key].get<std::string>());
  return t ? toSeconds(*t) : 0;
}

kube::ResourceRef incidentsRef(const std::string& ns, const std::string& name = "",
                               const std::string& sub = "") {
  return {.group = "leakguard.io", .version = "v1alpha1", .resource = "leakincidents",
          .ns = ns, .name = name, .subresource = sub};
}

std::string resourcesText(const policy::LeakPolicySpec& s) {
  std::string out;
  for (auto r : s.resources) out += (out.empty() ? "" : ", ") + std::string(detect::name(r));
  return out;
}

// A condition, keeping lastTransitionTime when status did not change.
nlohmann::json condition(const nlohmann::json& old, const std::string& type, bool status,
                         const std::string& reason, const std::string& message, int64_t gen,
                         const std::string& now) {
  std::string since = now;
  if (old.is_object() && old.contains("conditions") && old["conditions"].is_array()) {
    for (const auto& c : old["conditions"]) {
      if (c.value("type", "") == type && c.value("status", "") == (status ? "True" : "False"))
        since = c.value("lastTransitionTime", now);
    }
  }
  return {{"type", type},
          {"status", status ? "True" : "False"},
          {"reason", reason},
          {"message", message},
          {"observedGeneration", gen},
          {"lastTransitionTime", since}};
}

}  // namespace

PolicyReconciler::PolicyReconciler(PolicyReconcilerDeps deps) : d_(std::move(deps)) {}

ReplicaSetLookup PolicyReconciler::rsLookup() const {
  auto* store = d_.replicaSets;
  return [store](const std::string& ns, const std::string& name) -> std::optional<ReplicaSetObject> {
    if (!store) return std::nullopt;
    auto p = store->get(ns + "/" + name);
    if (!p) return std::nullopt;
    return *p;
  };
}

std::vector<std::string> PolicyReconciler::policiesCovering(const runtime::PodProjection& pod) const {
  std::vector<std::string> out;
  const auto lookup = rsLookup();
  for (const auto& p : d_.policies->byIndex("namespace", pod.ns.str()))
    if (covers(*p, pod, lookup)) out.push_back(p->key());
  return out;
}

runtime::ReconcileResult PolicyReconciler::reconcile(const std::string& key) {
  const auto policy = d_.policies->get(key);
  if (!policy) return runtime::ReconcileResult::done();  // deleted: incidents go with it (owner)
  const double now = toSeconds(d_.clock->now());
  const auto lookup = rsLookup();

  std::vector<std::shared_ptr<const runtime::PodProjection>> nsPods =
      d_.pods->byIndex("namespace", policy->ns);
  std::vector<const runtime::PodProjection*> covered;
  if (policy->parsed.usable()) {
    for (const auto& pod : nsPods)
      if (covers(*policy, *pod, lookup)) covered.push_back(pod.get());
  }
  Counts counts;
  counts.matched = static_cast<int>(covered.size());
  if (policy->parsed.usable()) {
    if (auto st = syncIncidents(*policy, covered, now, counts); !st.ok())
      return runtime::ReconcileResult::retry(st.error());
  }
  if (auto st = writeStatus(*policy, counts, now); !st.ok()) {
    // 404: deleted meanwhile; 409 cannot happen with a merge patch. Others: retry.
    if (st.error().code == 404) return runtime::ReconcileResult::done();
    return runtime::ReconcileResult::retry(st.error());
  }
  return runtime::ReconcileResult::after(d_.resync);
}

Status PolicyReconciler::syncIncidents(const PolicyObject& p,
                                       const std::vector<const runtime::PodProjection*>& pods,
                                       double now, Counts& counts) {
  const auto& spec = p.parsed.spec;
  const auto lookup = rsLookup();
  auto mine = d_.incidents->byIndex("policy", p.key());
  std::map<std::tuple<std::string, std::string, std::string>, const IncidentObject*> open;
  std::set<std::string> names;
  for (const auto& inc : mine) {
    names.insert(inc->name);
    if (inc->state == "Open" || inc->state == "Mitigating")
      open[{inc->podUid, inc->container, inc->resource}] = inc.get();
  }
  std::set<std::tuple<std::string, std::string, std::string>> seen;

  for (const runtime::PodProjection* pod : pods) {
    const std::string uid = pod->uid.str();
    bool leaking = false;
    for (const auto& [sk, view] : d_.hub->currentFindings(uid, now)) {
      if (!spec.watches(sk.resource) || !spec.watchesContainer(sk.container)) continue;
      leaking = true;
      const std::string res(detect::name(sk.resource));
      seen.insert({uid, sk.container, res});
      IncidentInput in{.policy = &p,
                       .podName = pod->name.str(),
                       .podUid = uid,
                       .node = pod->nodeName.str(),
                       .container = sk.container,
                       .workload = workloadOf(*pod, lookup),
                       .resource = sk.resource,
                       .source = view.source,
                       .finding = *view.finding,
                       .firstSuspected = view.finding->time - view.finding->growthSeconds};
      auto it = open.find({uid, sk.container, res});
      if (it == open.end()) {
        std::string name = incidentName(in.podName, sk.resource, now);
        for (int n = 2; names.count(name); ++n)
          name = incidentName(in.podName, sk.resource, now) + "-" + std::to_string(n);
        auto created = d_.api->create(incidentsRef(p.ns), incidentObject(in, name));
        if (!created && created.error().code != 409) return created.error();
        nlohmann::json status = {
            {"state", "Open"},
            {"firstSuspected", isoTime(in.firstSuspected)},
            {"confirmed", isoTime(view.finding->time)},
            {"containerId", view.containerId},
            {"evidence", incidentEvidence(in)},
            {"lastAction", spec.mode == policy::Mode::kObserve ? "observe" : "none"},
            {"observedPolicyGeneration", p.generation},
        };
        auto patched = d_.api->patch(incidentsRef(p.ns, name, "status"), kube::PatchType::kMerge,
                                     {{"status", status}});
        if (!patched) return patched.error();
        names.insert(name);
        LG_LOG(info, "leak confirmed",
               {{"policy", p.key()}, {"pod", in.podName}, {"container", sk.container},
                {"resource", res}, {"incident", name},
                {"rate", status["evidence"]["rate"]}, {"exhaustion", status["evidence"]["exhaustion"]}});
        if (d_.events) {
          const auto& ev = status["evidence"];
          const std::string note = res + " (" + ev["signal"].get<std::string>() + ") " +
                                   ev["rate"].get<std::string>() + ", limit reached " +
                                   ev["exhaustion"].get<std::string>() + " (90% " +
                                   ev["exhaustionInterval"].get<std::string>() +
                                   "); incident " + name;
          (void)d_.events->record({.apiVersion = "v1", .kind = "Pod", .ns = p.ns,
                                   .name = in.podName, .uid = uid, .fieldPath = ""},
                                  kube::EventType::kNormal, "LeakConfirmed", "Detect", note);
        }
      } else {
        // Refresh the evidence when the forecast moved on (at most every 5 minutes).
        const IncidentObject& inc = *it->second;
        const double confirmed = parseTime(inc.status, "confirmed");
        if (view.finding->time - confirmed >= 300) {
          auto patched = d_.api->patch(
              incidentsRef(p.ns, inc.name, "status"), kube::PatchType::kMerge,
              {{"status", {{"confirmed", isoTime(view.finding->time)},
                           {"evidence", incidentEvidence(in)}}}});
          if (!patched && patched.error().code != 404) return patched.error();
        }
      }
    }
    if (leaking) ++counts.leaking;
  }

  // Resolve open incidents whose container is gone or has stopped leaking.
  std::map<std::string, const runtime::PodProjection*> byUid;
  for (const auto* pod : pods) byUid[pod->uid.str()] = pod;
  for (const auto& [k, inc] : open) {
    if (seen.count(k)) continue;
    std::string after;
    const auto podIt = byUid.find(inc->podUid);
    if (podIt == byUid.end()) {
      after = "pod " + inc->podName + " is gone";
    } else {
      const auto res = detect::parseResource(inc->resource);
      std::optional<SeriesView> v;
      if (res) v = d_.hub->view({inc->podUid, inc->container, *res});
      const std::string oldId = inc->status.value("containerId", "");
      if (v && !oldId.empty() && !v->containerId.empty() && v->containerId != oldId) {
        after = "container " + inc->container + " restarted";
      } else if (now - parseTime(inc->status, "confirmed") > d_.resolveAfterSeconds) {
        after = "growth stopped";
      }
    }
    if (after.empty()) continue;
    const bool acted = inc->status.value("lastAction", "none") != "none" &&
                       inc->status.value("lastAction", "") != "observe";
    const std::string state = acted || after != ("pod " + inc->podName + " is gone")
                                  ? "Resolved"
                                  : "Abandoned";
    auto patched = d_.api->patch(incidentsRef(p.ns, inc->name, "status"), kube::PatchType::kMerge,
                                 {{"status", {{"state", state},
                                              {"resolved", isoTime(now)},
                                              {"after", after}}}});
    if (!patched && patched.error().code != 404) return patched.error();
  }

  // Keep at most spec.incidents.keep, pruning the oldest closed ones first.
  if (static_cast<int>(mine.size()) > spec.keepIncidents) {
    std::vector<const IncidentObject*> closed;
    for (const auto& inc : mine)
      if (inc->state == "Resolved" || inc->state == "Abandoned") closed.push_back(inc.get());
    std::sort(closed.begin(), closed.end(),
              [](const auto* a, const auto* b) { return a->created < b->created; });
    std::size_t excess = mine.size() - static_cast<std::size_t>(spec.keepIncidents);
    for (std::size_t i = 0; i < closed.size() && i < excess; ++i) {
      auto st = d_.api->remove(incidentsRef(p.ns, closed[i]->name));
      if (!st && st.error().code != 404) return st.error();
    }
  }
  return okStatus();
}

Status PolicyReconciler::writeStatus(const PolicyObject& p, const Counts& counts, double now) {
  const std::string nowText = isoTime(now);
  const auto& spec = p.parsed.spec;
  nlohmann::json conditions = nlohmann::json::array();
  if (p.parsed.usable()) {
    const std::string mode = spec.mode == policy::Mode::kEnforce ? "Enforce" : "Observe";
    conditions.push_back(condition(
        p.status, "Ready", true, "Watching",
        "watching " + std::to_string(counts.matched) + " pod" + (counts.matched == 1 ? "" : "s") +
            " (" + resourcesText(spec) + ") in " + mode + " mode",
        p.generation, nowText));
  } else {
    conditions.push_back(condition(p.status, "Ready", false, "InvalidSpec", p.parsed.summary(),
                                   p.generation, nowText));
  }
  if (d_.metricsStatus) {
    const auto ms = d_.metricsStatus();
    if (ms.everPolled) {
      conditions.push_back(condition(
          p.status, "MetricsAvailable", ms.available,
          ms.available ? "MetricsServerUp" : "MetricsAPIUnavailable",
          ms.available ? "metrics.k8s.io answers; " + std::to_string(ms.lastSamples) +
                             " container samples in the last poll"
                       : ms.message + "; detection continues with node agent samples only",
          p.generation, nowText));
    }
  }
  nlohmann::json status = p.status.is_object() ? p.status : nlohmann::json::object();
  nlohmann::json desired = status;
  desired["observedGeneration"] = p.generation;
  desired["matchedPods"] = counts.matched;
  desired["leakingPods"] = counts.leaking;
  desired["conditions"] = conditions;
  if (desired == status) return okStatus();

  const bool wasReady = [&] {
    if (!status.contains("conditions")) return true;  // first write: no transition event
    for (const auto& c : status["conditions"])
      if (c.value("type", "") == "Ready") return c.value("status", "") == "True";
    return true;
  }();
  const kube::ResourceRef ref{.group = "leakguard.io", .version = "v1alpha1",
                              .resource = "leakpolicies", .ns = p.ns, .name = p.name,
                              .subresource = "status"};
  auto r = d_.api->patch(ref, kube::PatchType::kMerge, {{"status", desired}});
  if (!r) return r.error();
  if (d_.events && wasReady != p.parsed.usable()) {
    (void)d_.events->record(
        {.apiVersion = "leakguard.io/v1alpha1", .kind = "LeakPolicy", .ns = p.ns,
         .name = p.name, .uid = p.uid, .fieldPath = ""},
        p.parsed.usable() ? kube::EventType::kNormal : kube::EventType::kWarning,
        p.parsed.usable() ? "PolicyReady" : "InvalidPolicy", "Validate",
        p.parsed.usable() ? "policy is valid again" : p.parsed.summary());
  }
  return okStatus();
}

}  // namespace lg::reconcile
