#pragma once
// Which of a policy's covered, running pods LeakGuard cannot see: no usage sample from any
// source (metrics-server or a node agent) for `grace` seconds. A pod that never had a sample
// counts from when it was first seen without one, so a pod that has just started (the first
// metrics-server window is up to a minute) is not reported. What it counts is the policy's
// `leakguard_policy_pods{state="unobserved"}` and the alert built on it (README, "Alerts").
// Thread-safe.

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace lg::reconcile {

class UnobservedPods {
 public:
  struct Pod {
    std::string uid;
    std::optional<double> lastSample;  // newest sample of any of its series, if any
  };

  explicit UnobservedPods(double graceSeconds = 300) : grace_(graceSeconds) {}

  // The policy's covered running pods now: how many of them are unobserved. Forgets the pods
  // of the policy that are not in `pods` any more.
  int update(const std::string& policyKey, const std::vector<Pod>& pods, double now);
  // The policy went.
  void forget(const std::string& policyKey);
  // Pods remembered as never sampled, over all policies (for the memory bound's test).
  std::size_t remembered() const;

 private:
  const double grace_;
  mutable std::mutex mu_;
  // policy key -> uid of a pod never sampled -> when it was first seen so.
  std::map<std::string, std::map<std::string, double>> firstSeen_;
};

}  // namespace lg::reconcile
