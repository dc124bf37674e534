#pragma once
// annotate: records only, on the pod itself: leakguard.io/incident (the LeakIncident's name)
// and leakguard.io/leak (what leaks, how fast). A merge patch of metadata.annotations: running it
// twice leaves the same annotations. The pod's containers are not touched.

#include "controllers/actions/action.h"

namespace lg::actions {

class AnnotateAction final : public Action {
 public:
  static constexpr std::string_view kName = "annotate";
  std::string_view name() const override { return kName; }
  ActionTraits traits() const override { return {.shownAsLastAction = false}; }
  // The finding, as an annotation on the pod (merge patch).
  std::vector<kube::Permission> permissions() const override {
    return {{"", "pods", {"patch"}, {}}};
  }
  ActionPlan prepare(const ActionContext& ctx) const override;
  ActionResult run(const ActionContext& ctx, const ActionPlan& plan) const override;

  static nlohmann::json annotations(const ActionTarget& t);
};

}  // namespace lg::actions
