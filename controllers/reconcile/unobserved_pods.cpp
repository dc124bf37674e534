#include "controllers/reconcile/unobserved_pods.h"

namespace lg::reconcile {

int UnobservedPods::update(const std::string& policyKey, const std::vector<Pod>& pods, double now) {
  std::lock_guard lock(mu_);
  auto& before = firstSeen_[policyKey];
  std::map<std::string, double> after;
  int unobserved = 0;
  for (const auto& pod : pods) {
    double since = now;
    if (pod.lastSample) {
      since = *pod.lastSample;
    } else {
      auto it = before.find(pod.uid);
      if (it != before.end()) since = it->second;
      after.emplace(pod.uid, since);
    }
    if (now - since >= grace_) ++unobserved;
  }
  if (after.empty())
    firstSeen_.erase(policyKey);
  else
    before = std::move(after);
  return unobserved;
}

void UnobservedPods::forget(const std::string& policyKey) {
  std::lock_guard lock(mu_);
  firstSeen_.erase(policyKey);
}

std::size_t UnobservedPods::remembered() const {
  std::lock_guard lock(mu_);
  std::size_t n = 0;
  for (const auto& [key, pods] : firstSeen_)
    n += pods.size();
  return n;
}

}  // namespace lg::reconcile
