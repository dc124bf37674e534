#include "controllers/reconcile/series_router.h"

#include <algorithm>
#include <tuple>

namespace lg::reconcile {

const PolicyObject* judgingPolicy(const std::vector<std::shared_ptr<const PolicyObject>>& covering,
                                  const std::string& container, detect::Resource resource) {
  const PolicyObject* best = nullptr;
  // RFC 3339 timestamps of the API server (UTC, "Z", whole seconds) order as strings; a policy
  // without one sorts after those that have one. Called for every sample: no copies.
  const auto older = [](const PolicyObject& a, const PolicyObject& b) {
    if (a.created.empty() != b.created.empty()) return b.created.empty();
    return std::tie(a.created, a.ns, a.name) < std::tie(b.created, b.ns, b.name);
  };
  for (const auto& p : covering) {
    if (!p || !p->parsed.usable() || !p->parsed.spec.watches(resource) ||
        !p->parsed.spec.watchesContainer(container))
      continue;
    if (!best || older(*p, *best)) best = p.get();
  }
  return best;
}

bool assignmentMayChange(const runtime::PodProjection& before,
                         const runtime::PodProjection& after) {
  if (before.phase != after.phase || before.terminating != after.terminating ||
      before.nodeName != after.nodeName || before.labels != after.labels ||
      before.containers.size() != after.containers.size())
    return true;
  for (std::size_t i = 0; i < before.containers.size(); ++i)
    if (before.containers[i].name != after.containers[i].name ||
        before.containers[i].runtimeOptionsInSpec != after.containers[i].runtimeOptionsInSpec)
      return true;
  return false;
}

std::vector<std::shared_ptr<const PolicyObject>> SeriesRouter::covering(
    const runtime::PodProjection& pod) const {
  std::vector<std::shared_ptr<const PolicyObject>> out;
  for (const auto& key : d_.policiesCovering(pod))
    if (auto p = d_.policies->get(key)) out.push_back(std::move(p));
  return out;
}

std::shared_ptr<const detect::DetectorOptions> SeriesRouter::optionsFor(
    const UsageSample& s) const {
  auto pod = d_.pods->get(s.ns + "/" + s.pod);
  if (!pod) return nullptr;
  // Judged on the node by its agent: the controller keeps no series of it.
  if (d_.detectedOnNode && !pod->nodeName.str().empty() && d_.detectedOnNode(pod->nodeName.str()))
    return nullptr;
  const PolicyObject* judge = judgingPolicy(covering(*pod), s.container, s.resource);
  return judge ? d_.settings->forPolicy(*judge) : nullptr;
}

std::map<std::string, DetectionAssignment> SeriesRouter::assignments(
    const std::set<std::string>& nodes) const {
  std::map<std::string, DetectionAssignment> out;
  // Per node, a profile's index by its settings.
  std::map<std::string, std::map<DetectionProfile, int>> profiles;
  for (const auto& node : nodes)
    out[node];
  for (const auto& pod : d_.pods->list()) {
    const std::string node = pod->nodeName.str();
    if (!nodes.count(node) || pod->phase == runtime::PodPhase::kSucceeded ||
        pod->phase == runtime::PodPhase::kFailed)
      continue;
    const auto policies = covering(*pod);
    if (policies.empty()) continue;
    AssignedPod ap{.uid = pod->uid.str()};
    for (const auto& c : pod->containers) {
      AssignedContainer ac{.name = c.name.str(), .runtimeOptionsInSpec = c.runtimeOptionsInSpec};
      bool any = false;
      for (detect::Resource r : detect::kAllResources) {
        const PolicyObject* judge = judgingPolicy(policies, ac.name, r);
        if (!judge) continue;
        const auto opts = d_.settings->forPolicy(*judge);
        const DetectionProfile profile{opts->margin, opts->horizonSeconds, opts->minGrowthSeconds};
        auto& index = profiles[node];
        auto [it, added] = index.try_emplace(profile, static_cast<int>(index.size()));
        if (added) out[node].profiles.push_back(profile);
        ac.profile[static_cast<int>(r)] = it->second;
        any = true;
      }
      if (any) ap.containers.push_back(std::move(ac));
    }
    if (!ap.containers.empty()) out[node].pods.push_back(std::move(ap));
  }
  // Canonical: pods by uid, profiles by value (the pod cache lists in no order), so that every
  // replica with the same caches works out the same assignment, and the same generation.
  for (auto& [node, a] : out) {
    std::sort(a.pods.begin(), a.pods.end(),
              [](const AssignedPod& x, const AssignedPod& y) { return x.uid < y.uid; });
    std::vector<DetectionProfile> sorted = a.profiles;
    std::sort(sorted.begin(), sorted.end());
    std::vector<int> remap(a.profiles.size());
    for (std::size_t i = 0; i < a.profiles.size(); ++i)
      remap[i] = static_cast<int>(std::lower_bound(sorted.begin(), sorted.end(), a.profiles[i]) -
                                  sorted.begin());
    for (auto& p : a.pods)
      for (auto& c : p.containers)
        for (int& i : c.profile)
          if (i >= 0) i = remap[static_cast<std::size_t>(i)];
    a.profiles = std::move(sorted);
  }
  return out;
}

void SeriesRouter::onFinding(const SeriesKey& key, const SeriesView& view,
                             const detect::Finding& f) {
  const std::string resource(detect::name(key.resource));
  d_.forecast->record(view.ns, view.pod, view.container, resource, f.exhaustionSeconds,
                      toSeconds(d_.clock->now()));
  auto pod = d_.pods->get(view.ns + "/" + view.pod);
  if (!pod) return;
  for (const auto& k : d_.policiesCovering(*pod)) {
    d_.findingsTotal->labels({resource, k.substr(k.find('/') + 1), view.ns}).inc();
    d_.wake(k);
  }
}

void SeriesRouter::podDeleted(const runtime::PodProjection& pod) {
  d_.hub->forgetPod(pod.uid.str());
  d_.forecast->forgetPod(pod.ns.str(), pod.name.str());
}

void SeriesRouter::policyDeleted(const PolicyObject& policy) {
  d_.settings->forget(policy.uid);
  d_.findingsTotal->removeIf(
      [&](const std::vector<std::string>& v) { return v[1] == policy.name && v[2] == policy.ns; });
}

}  // namespace lg::reconcile
