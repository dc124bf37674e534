#pragma once
// resizeLimits: buys time without a restart. Raises the leaking container's memory limit in
// place through the pods/resize subresource (Kubernetes 1.33+; earlier clusters with the
// InPlacePodVerticalScaling gate), by params.factor, at most to params.maxLimit. The container's
// resizePolicy decides whether the kubelet restarts it; memory's default is NotRequired.
// Skipped when the container has no limit (nothing to raise) or already is at maxLimit. A
// cluster without the subresource (404, 405, 415) or that refuses the resize (422: a limit the
// pod cannot take) is recorded as "not possible", not tried again.

#include "controllers/actions/action.h"

namespace lg::actions {

class ResizeLimitsAction final : public Action {
 public:
  static constexpr std::string_view kName = "resizeLimits";
  // params: factor (above 1, at most 4; default 1.5), maxLimit (a quantity; none by default).
  struct Params {
    double factor = 1.5;
    std::optional<double> maxLimitBytes;
    static Params read(const policy::FieldReader& r);
  };
  std::string_view name() const override { return kName; }
  ActionTraits traits() const override { return {.escalation = true}; }
  // Reads the pod's limit, raises it in place (pods/resize).
  std::vector<kube::Permission> permissions() const override {
    return {{"", "pods", {"get"}, {}}, {"", "pods/resize", {"patch"}, {}}};
  }
  void checkParams(const policy::FieldReader& params) const override;
  ActionPlan prepare(const ActionContext& ctx) const override;
  ActionResult run(const ActionContext& ctx, const ActionPlan& plan) const override;

  // The new limit: ceil(current * factor), at most maxLimit, rounded up to whole MiB.
  static int64_t newLimit(int64_t current, double factor, std::optional<double> maxLimit);
};

}  // namespace lg::actions
