#pragma once
// label: puts labels on the leaking pod, so that whatever selects by label can find it: a
// dashboard, a NetworkPolicy, a debug job, an alert (params.labels, e.g.
// {leakguard.io/leaking: "true"}). Labels are only added: a label the pod already has with
// another value is never changed (the pod's owner selects its pods by label; changing one could
// orphan the pod), and the step is skipped with the reason. A merge patch of metadata.labels:
// running it twice leaves the same labels. Not an escalation; run once per incident.

#include <map>

#include "controllers/actions/action.h"

namespace lg::actions {

class LabelAction final : public Action {
 public:
  static constexpr std::string_view kName = "label";
  // params: labels (required): 1 to 10 label keys and values, as Kubernetes allows them.
  struct Params {
    std::map<std::string, std::string> labels;
    static Params read(const policy::FieldReader& r);
  };
  std::string_view name() const override { return kName; }
  ActionTraits traits() const override { return {}; }
  // Reads the pod's labels, then sets its own (merge patch).
  std::vector<kube::Permission> permissions() const override {
    return {{"", "pods", {"get", "patch"}, {}}};
  }
  void checkParams(const policy::FieldReader& params) const override;
  ActionPlan prepare(const ActionContext& ctx) const override;
  ActionResult run(const ActionContext& ctx, const ActionPlan& plan) const override;
};

}  // namespace lg::actions
