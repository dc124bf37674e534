#pragma once
// captureDiagnostics: before anything else happens to a leaking pod, keep the evidence. One
// HTTP GET to the pod's IP at the step's params.port and params.path (and only there: no
// redirects are followed), with params.timeout and at most params.maxBytes of the body. The
// body is kept in a ConfigMap "<incident>-diag-<step index>" owned by the LeakIncident (so it goes
// when the incident is pruned), labelled with the policy and pod; text as data, anything else
// as binaryData. The result's diagnostics entry says where (status.diagnostics[].keptIn).
//
// A non-2xx answer is a failure (the body is not kept); an already existing ConfigMap of the
// same name (a retry after a crash) is replaced.

#include "controllers/actions/action.h"
#include "controllers/actions/http_fetcher.h"

namespace lg::actions {

class CaptureDiagnosticsAction final : public Action {
 public:
  explicit CaptureDiagnosticsAction(HttpFetcher& fetcher) : fetcher_(fetcher) {}
  static constexpr std::string_view kName = "captureDiagnostics";
  // params: port and path (required), timeout (default 10s, at most 60s), maxBytes (default
  // 512KiB, 1KiB to 900KiB).
  struct Params {
    std::optional<int> port;
    std::optional<std::string> path;
    double timeoutSeconds = 10;
    int64_t maxBytes = 512 * 1024;
    static Params read(const policy::FieldReader& r);
  };
  std::string_view name() const override { return kName; }
  ActionTraits traits() const override { return {.evidence = true}; }
  // Reads the pod (its IP), keeps the capture in a new ConfigMap (get: a retry finds the one
  // an earlier attempt left). Never updates or deletes a ConfigMap.
  std::vector<kube::Permission> permissions() const override {
    return {{"", "pods", {"get"}, {}}, {"", "configmaps", {"get", "create"}, {}}};
  }
  void checkParams(const policy::FieldReader& params) const override;
  ActionPlan prepare(const ActionContext& ctx) const override;
  ActionResult run(const ActionContext& ctx, const ActionPlan& plan) const override;
  Result<Verification> verify(const ActionContext& ctx, double started) const override;
  bool runsInBackground() const override { return true; }

  // The ConfigMap's name for an incident and step: at most 253 characters.
  static std::string configMapName(const std::string& incident, const std::string& step);

 private:
  HttpFetcher& fetcher_;
};

}  // namespace lg::actions
