#pragma once
// enforceQuota: so containers without limits cannot starve their node, gives the incident's
// namespace what the step declares:
//  - a LimitRange "leakguard-memory" with a Container default (and defaultRequest) memory limit
//    params.defaultMemoryLimit and maximum params.maxMemoryLimit;
//  - a ResourceQuota "leakguard-memory" with hard limits.memory params.quotaMemoryLimits.
// Both labelled app.kubernetes.io/managed-by=leakguard and with the writing policy's name and
// uid (leakguard.io/policy, leakguard.io/policy-uid). An existing object of that name is changed
// only by the policy that wrote it: without the managed-by label it is someone else's; written by
// another LeakPolicy that still exists, it is that policy's (a tenant's policy cannot raise the
// quota the platform team's policy set). Both are left alone, skipped with the reason. An object
// whose writer is gone (deleted, or re-created with another uid) is adopted. Created, or updated
// in place when they exist, so running it twice leaves the same objects. Like any LimitRange, it
// applies to pods created afterwards.

#include "controllers/actions/action.h"

namespace lg::actions {

inline constexpr const char* kQuotaObjectName = "leakguard-memory";

class EnforceQuotaAction final : public Action {
 public:
  static constexpr std::string_view kName = "enforceQuota";
  // params: defaultMemoryLimit, maxMemoryLimit, quotaMemoryLimits (quantities; at least one).
  struct Params {
    std::optional<std::string> defaultMemoryLimit, maxMemoryLimit, quotaMemoryLimits;
    static Params read(const policy::FieldReader& r);
  };
  std::string_view name() const override { return kName; }
  ActionTraits traits() const override { return {}; }
  // Creates the LimitRange and ResourceQuota under the one name LeakGuard uses, reads and
  // replaces them by that name only; reads the LeakPolicy recorded as their writer (another
  // policy's object is not overwritten).
  std::vector<kube::Permission> permissions() const override {
    return {{"", "limitranges", {"create"}, {}},
            {"", "resourcequotas", {"create"}, {}},
            {"", "limitranges", {"get", "update"}, {std::string(kQuotaObjectName)}},
            {"", "resourcequotas", {"get", "update"}, {std::string(kQuotaObjectName)}},
            {"leakguard.io", "leakpolicies", {"get"}, {}}};
  }
  void checkParams(const policy::FieldReader& params) const override;
  ActionPlan prepare(const ActionContext& ctx) const override;
  ActionResult run(const ActionContext& ctx, const ActionPlan& plan) const override;
  Result<Verification> verify(const ActionContext& ctx, double started) const override;

  // The objects' desired bodies (pure; null when the step does not ask for that object).
  static nlohmann::json limitRange(const std::string& ns, const Params& p);
  static nlohmann::json resourceQuota(const std::string& ns, const Params& p);
};

}  // namespace lg::actions
