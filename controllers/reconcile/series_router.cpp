#include "controllers/reconcile/series_router.h"

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

std::shared_ptr<const detect::DetectorOptions> SeriesRouter::optionsFor(
    const UsageSample& s) const {
  auto pod = d_.pods->get(s.ns + "/" + s.pod);
  if (!pod) return nullptr;
  std::vector<std::shared_ptr<const PolicyObject>> covering;
  for (const auto& key : d_.policiesCovering(*pod))
    if (auto p = d_.policies->get(key)) covering.push_back(std::move(p));
  const PolicyObject* judge = judgingPolicy(covering, s.container, s.resource);
  return judge ? d_.settings->forPolicy(*judge) : nullptr;
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
