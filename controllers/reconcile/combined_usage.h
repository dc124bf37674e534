#pragma once
// CombinedUsage: the series as the reconcilers read them when some node agents detect: a pod
// assigned to an agent (AgentDetection::holds) is read from its agent, any other from the
// controller's own UsageHub (metrics-server, agents that do not detect).

#include "controllers/reconcile/agent_detection.h"
#include "controllers/reconcile/usage_hub.h"
#include "controllers/reconcile/usage_reader.h"

namespace lg::reconcile {

class CombinedUsage final : public UsageReader {
 public:
  CombinedUsage(const UsageHub& hub, const AgentDetection& agents) : hub_(hub), agents_(agents) {}

  std::optional<SeriesView> view(const SeriesKey& key) const override {
    return from(key.podUid).view(key);
  }
  std::vector<std::pair<SeriesKey, SeriesView>> currentFindings(const std::string& podUid,
                                                                double now) const override {
    return from(podUid).currentFindings(podUid, now);
  }
  std::optional<double> lastSampleTime(const std::string& podUid) const override {
    return from(podUid).lastSampleTime(podUid);
  }
  std::vector<std::pair<double, double>> history(const SeriesKey& key) const override {
    return from(key.podUid).history(key);
  }
  std::optional<detect::SizingSeries> sizingSeries(
      const SeriesKey& key, const detect::SizingOptions& opts) const override {
    return from(key.podUid).sizingSeries(key, opts);
  }

 private:
  const UsageReader& from(const std::string& podUid) const {
    return agents_.holds(podUid) ? static_cast<const UsageReader&>(agents_) : hub_;
  }
  const UsageHub& hub_;
  const AgentDetection& agents_;
};

}  // namespace lg::reconcile
