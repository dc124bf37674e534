#include "controllers/actions/capture_diagnostics_action.h"

#include <cctype>

#include "controllers/actions/action_support.h"
#include "controllers/policy/api_resources.h"
#include "controllers/policy/duration.h"
#include "controllers/policy/policy_schema.h"
#include "operator/kube/base64.h"
#include "operator/kube/quantity.h"

namespace lg::actions {
namespace {

// Valid UTF-8 without NUL: may go into ConfigMap data; anything else goes into binaryData.
bool isText(const std::string& s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == 0) return false;
    std::size_t extra = 0;
    if (c >= 0x80) {
      if ((c >> 5) == 0x6) {
        extra = 1;
      } else if ((c >> 4) == 0xE) {
        extra = 2;
      } else if ((c >> 3) == 0x1E) {
        extra = 3;
      } else {
        return false;
      }
    }
    if (i + extra >= s.size() && extra > 0) return false;
    for (std::size_t k = 1; k <= extra; ++k)
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return false;
    i += extra + 1;
  }
  return true;
}

// "debug-pprof-heap": a ConfigMap key from the path (keys allow [-._a-zA-Z0-9]).
std::string keyFor(const std::string& path) {
  std::string k;
  for (char c : path) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
    if (ok) {
      k += c;
    } else if (!k.empty() && k.back() != '-') {
      k += '-';
    }
    if (k.size() >= 200) break;
  }
  while (!k.empty() && (k.back() == '-' || k.back() == '.'))
    k.pop_back();
  while (!k.empty() && (k.front() == '-' || k.front() == '.'))
    k.erase(k.begin());
  return k.empty() ? "body" : k;
}

std::string sanitize(const std::string& s) {
  std::string out;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u)) {
      out += static_cast<char>(std::tolower(u));
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
  }
  while (!out.empty() && out.back() == '-')
    out.pop_back();
  return out.empty() ? "step" : out;
}

// True when `obj` has an ownerReference to the incident of that uid.
bool ownedByIncident(const nlohmann::json& obj, const std::string& incidentUid) {
  if (!obj.is_object() || incidentUid.empty()) return false;
  const auto md = obj.find("metadata");
  if (md == obj.end() || !md->is_object()) return false;
  const auto refs = md->find("ownerReferences");
  if (refs == md->end() || !refs->is_array()) return false;
  for (const auto& r : *refs)
    if (r.is_object() && r.value("kind", nlohmann::json()) == "LeakIncident" &&
        r.value("uid", nlohmann::json()) == incidentUid)
      return true;
  return false;
}

}  // namespace

std::string CaptureDiagnosticsAction::configMapName(const std::string& incident,
                                                    const std::string& step) {
  std::string name = incident.substr(0, 200) + "-diag-" + sanitize(step).substr(0, 40);
  return name;
}

ActionPlan CaptureDiagnosticsAction::prepare(const ActionContext& ctx) const {
  const auto& t = *ctx.target;
  const auto p = readParams<Params>(*ctx.step);
  if (!p.port || !p.path) return ActionPlan::fail("captureDiagnostics needs params.port and path");
  auto pod = ctx.api->get(podRef(t.ns, t.podName));
  if (!pod) {
    if (pod.error().code == 404) return ActionPlan::skip("pod " + t.podName + " is gone");
    return ActionPlan::fail("reading pod " + t.podName + ": " + pod.error().message);
  }
  // A hostNetwork pod's IP is its node's: the GET would reach whatever the node serves there
  // (a kubelet's read-only port, another tenant's hostNetwork service), not the pod.
  const auto* spec = pod->is_object() && pod->contains("spec") ? &(*pod)["spec"] : nullptr;
  const bool hostNetwork = spec && spec->is_object() && spec->value("hostNetwork", false) == true;
  const std::string ip = stringAt(*pod, "/status/podIP");
  if (hostNetwork || (!ip.empty() && ip == stringAt(*pod, "/status/hostIP")))
    return ActionPlan::skip("pod " + t.podName +
                            " uses the host's network: its IP is the node's, so a capture would "
                            "read the node's services, not the pod's; refused");
  if (ip.empty()) return ActionPlan::skip("pod " + t.podName + " has no IP yet");
  const std::string cm = configMapName(t.incidentName, ctx.step->name);
  return ActionPlan::go("GET http://" + ip + ":" + std::to_string(*p.port) + *p.path +
                            " (timeout " + policy::formatDuration(p.timeoutSeconds) + ", at most " +
                            kube::formatBytes(static_cast<double>(p.maxBytes)) +
                            "B) and keep it in configmap/" + cm,
                        {{"ip", ip}, {"configMap", cm}});
}

namespace {

// The ConfigMap that keeps a capture: owned by the incident (it goes with it), labelled with the
// policy and the pod, the body as text or as base64 under `key`.
nlohmann::json configMapOf(const ActionTarget& t, const std::string& cm, const std::string& source,
                           const std::string& key, const FetchResponse& res) {
  nlohmann::json obj = {
      {"apiVersion", "v1"},
      {"kind", "ConfigMap"},
      {"metadata",
       {{"name", cm},
        {"namespace", t.ns},
        {"labels",
         {{policy::kLabelPolicy, t.policyName},
          {policy::kLabelPodUid, t.podUid},
          {"app.kubernetes.io/managed-by", "leakguard"}}},
        {"annotations",
         {{"leakguard.io/source", source},
          {"leakguard.io/pod", t.podName},
          {"leakguard.io/content-type", res.contentType},
          {"leakguard.io/truncated", res.truncated ? "true" : "false"}}},
        {"ownerReferences", nlohmann::json::array({{{"apiVersion", "leakguard.io/v1alpha1"},
                                                    {"kind", "LeakIncident"},
                                                    {"name", t.incidentName},
                                                    {"uid", t.incidentUid}}})}}}};
  if (isText(res.body)) {
    obj["data"] = {{key, res.body}};
  } else {
    obj["binaryData"] = {{key, kube::base64Encode(res.body)}};
  }
  return obj;
}

// `r` with what was captured, for the incident's status.diagnostics.
ActionResult withDiagnostics(ActionResult r, nlohmann::json diag) {
  r.diagnostics = std::move(diag);
  return r;
}

}  // namespace

ActionResult CaptureDiagnosticsAction::run(const ActionContext& ctx, const ActionPlan& plan) const {
  const auto& t = *ctx.target;
  const auto p = readParams<Params>(*ctx.step);
  const std::string ip = plan.data.value("ip", "");
  const std::string cm = plan.data.value("configMap", "");
  const std::string source = "GET :" + std::to_string(p.port.value_or(0)) + p.path.value_or("");
  nlohmann::json diag = {{"time", isoTime(ctx.now)}, {"source", source}};

  FetchRequest req{
      .host = ip,
      .port = static_cast<std::uint16_t>(p.port.value_or(0)),
      .path = p.path.value_or("/"),
      .timeout = std::chrono::milliseconds(static_cast<int64_t>(p.timeoutSeconds * 1000)),
      .maxBytes = static_cast<std::size_t>(p.maxBytes)};
  auto res = fetcher_.get(req);
  if (!res) {
    diag["outcome"] = "Failed: " + res.error().message;
    return withDiagnostics(
        ActionResult::failed(source + " on pod " + t.podName + ": " + res.error().message), diag);
  }
  if (res->status < 200 || res->status > 299) {
    const std::string why =
        source + " on pod " + t.podName + " answered HTTP " + std::to_string(res->status) +
        (res->status >= 300 && res->status < 400 ? " (redirects are not followed)" : "");
    diag["outcome"] = "Failed: HTTP " + std::to_string(res->status);
    return withDiagnostics(ActionResult::failed(why), diag);
  }

  const nlohmann::json obj = configMapOf(t, cm, source, keyFor(p.path.value_or("")), *res);
  const auto cmRef = coreRef("configmaps", t.ns);
  auto created = ctx.api->create(cmRef, obj, writeOptions(ctx));
  if (!created && created.error().code == 409) {
    // Left by an attempt of this incident cut short: that capture is the evidence, kept as it
    // is (the controller may create ConfigMaps, never rewrite one: its RBAC has no update).
    // Anything else of that name (someone's own ConfigMap, another incident's) is left alone.
    auto ref = cmRef;
    ref.name = cm;
    auto old = ctx.api->get(ref);
    if (old && !ownedByIncident(*old, t.incidentUid)) {
      diag["outcome"] = "Failed: configmap/" + cm + " exists and is not this incident's";
      return withDiagnostics(
          ActionResult::notPossible(
              source + " on pod " + t.podName + ": configmap/" + cm +
              " exists and is not this incident's (no ownerReference to it); left alone"),
          diag);
    }
    if (old) {
      diag["keptIn"] = "configmap/" + cm;
      diag["outcome"] = "Captured";
      diag["earlierAttempt"] = true;
      return withDiagnostics(
          ActionResult::succeeded(
              "DiagnosticsCaptured",
              source + " of an earlier attempt of this incident kept in configmap/" + cm),
          diag);
    }
    created = old.error();
  }
  if (!created) {
    diag["outcome"] = "Failed: " + created.error().message;
    return withDiagnostics(ActionResult::failed("keeping the diagnostics in configmap/" + cm +
                                                ": " + created.error().message),
                           diag);
  }
  const auto bytes = static_cast<int64_t>(res->body.size());
  diag["keptIn"] = "configmap/" + cm;
  diag["bytes"] = bytes;
  diag["truncated"] = res->truncated;
  diag["outcome"] = "Captured";
  return withDiagnostics(
      ActionResult::succeeded("DiagnosticsCaptured",
                              source + " " + kube::formatBytes(static_cast<double>(bytes)) + "B" +
                                  (res->truncated ? " (truncated)" : "") + " kept in configmap/" +
                                  cm),
      diag);
}

Result<Verification> CaptureDiagnosticsAction::verify(const ActionContext& ctx, double) const {
  const auto& t = *ctx.target;
  const std::string cm = configMapName(t.incidentName, ctx.step->name);
  auto obj = ctx.api->get(coreRef("configmaps", t.ns, cm));
  if (!obj) {
    if (obj.error().code == 404)
      return Verification::notDone("configmap/" + cm + " does not exist: nothing was captured");
    return obj.error();
  }
  if (ownedByIncident(*obj, t.incidentUid))
    return Verification::done("the capture is kept in configmap/" + cm);
  return Verification::notDone("configmap/" + cm + " is not this incident's");
}

CaptureDiagnosticsAction::Params CaptureDiagnosticsAction::Params::read(
    const policy::FieldReader& r) {
  Params p;
  p.port = r.integer("port", policy::schema::kPlaybookParamsPortMinimum,
                     policy::schema::kPlaybookParamsPortMaximum);
  p.path = r.string("path");
  if (p.path &&
      (p.path->empty() || p.path->front() != '/' || p.path->find("://") != std::string::npos)) {
    r.issue(r.at("path"), "must be a path on the pod starting with /");
    p.path.reset();
  }
  if (auto t = r.duration("timeout")) p.timeoutSeconds = std::min(*t, 60.0);
  if (auto m = r.integer("maxBytes", policy::schema::kPlaybookParamsMaxBytesMinimum,
                         policy::schema::kPlaybookParamsMaxBytesMaximum))
    p.maxBytes = *m;
  return p;
}

void CaptureDiagnosticsAction::checkParams(const policy::FieldReader& params) const {
  const auto p = Params::read(params);
  if (!p.port || !p.path)
    params.issue(params.path(), "captureDiagnostics needs params.port and params.path");
}

}  // namespace lg::actions
