#include "controllers/actions/label_action.h"

#include <cctype>

#include "controllers/actions/action_support.h"

namespace lg::actions {
namespace {

// A label name or value: at most 63 characters, alphanumerics with - _ . inside.
bool labelSegment(std::string_view s, bool mayBeEmpty) {
  if (s.empty()) return mayBeEmpty;
  if (s.size() > 63) return false;
  auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  if (!alnum(s.front()) || !alnum(s.back())) return false;
  for (char c : s)
    if (!alnum(c) && c != '-' && c != '_' && c != '.') return false;
  return true;
}

// A DNS subdomain (the optional prefix of a label key): at most 253 characters, lower-case.
bool dnsSubdomain(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  auto ok = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!ok(s.front()) || !ok(s.back())) return false;
  for (char c : s)
    if (!ok(c) && c != '-' && c != '.') return false;
  return true;
}

bool labelKey(std::string_view k) {
  const auto slash = k.find('/');
  if (slash == std::string_view::npos) return labelSegment(k, false);
  return dnsSubdomain(k.substr(0, slash)) && labelSegment(k.substr(slash + 1), false);
}

const nlohmann::json& labelsOf(const nlohmann::json& pod) {
  static const nlohmann::json kNone = nlohmann::json::object();
  if (!pod.is_object()) return kNone;
  auto md = pod.find("metadata");
  if (md == pod.end() || !md->is_object()) return kNone;
  auto l = md->find("labels");
  return l != md->end() && l->is_object() ? *l : kNone;
}

std::string list(const std::map<std::string, std::string>& labels) {
  std::string out;
  for (const auto& [k, v] : labels)
    out += (out.empty() ? "" : ", ") + k + "=" + v;
  return out;
}

}  // namespace

LabelAction::Params LabelAction::Params::read(const policy::FieldReader& r) {
  Params p;
  const auto* labels = r.get("labels");
  if (!labels) return p;
  if (!labels->is_object()) {
    r.issue(r.at("labels"), "must be a map of label keys to values");
    return p;
  }
  for (const auto& [k, v] : labels->items()) {
    if (!labelKey(k)) {
      r.issue(r.at("labels"), "\"" + k + "\" is not a label key (name or prefix/name)");
    } else if (!v.is_string() || !labelSegment(v.get<std::string>(), true)) {
      r.issue(r.at("labels"), "the value of " + k + " is not a label value");
    } else {
      p.labels[k] = v.get<std::string>();
    }
  }
  return p;
}

void LabelAction::checkParams(const policy::FieldReader& params) const {
  const auto* labels = params.get("labels");
  Params::read(params);
  if (!labels)
    params.issue(params.path(), "label needs params.labels");
  else if (labels->is_object() && (labels->empty() || labels->size() > 10))
    params.issue(params.at("labels"), "must give 1 to 10 labels");
}

ActionPlan LabelAction::prepare(const ActionContext& ctx) const {
  const auto& t = *ctx.target;
  const auto p = readParams<Params>(*ctx.step);
  if (p.labels.empty()) return ActionPlan::fail("label needs params.labels");
  auto pod = ctx.api->get(podRef(t.ns, t.podName));
  if (!pod) {
    if (pod.error().code == 404) return ActionPlan::skip("pod " + t.podName + " is gone");
    return ActionPlan::fail("reading pod " + t.podName + ": " + pod.error().message);
  }
  const nlohmann::json& current = labelsOf(*pod);
  for (const auto& [k, v] : p.labels) {
    auto it = current.find(k);
    if (it == current.end() || !it->is_string()) continue;
    const std::string has = it->get<std::string>();
    if (has != v)
      return ActionPlan::skip("pod " + t.podName + " has label " + k + "=" + has +
                              " already; labels are only added, never changed");
  }
  return ActionPlan::go("label pod " + t.podName + " " + list(p.labels));
}

ActionResult LabelAction::run(const ActionContext& ctx, const ActionPlan&) const {
  const auto& t = *ctx.target;
  const auto p = readParams<Params>(*ctx.step);
  nlohmann::json labels = nlohmann::json::object();
  for (const auto& [k, v] : p.labels)
    labels[k] = v;
  auto r = ctx.api->patch(podRef(t.ns, t.podName), kube::PatchType::kMerge,
                          {{"metadata", {{"labels", labels}}}}, writeOptions(ctx));
  if (r) return ActionResult::succeeded("", "pod " + t.podName + " labelled " + list(p.labels));
  if (r.error().code == 404) return ActionResult::notPossible("pod " + t.podName + " is gone");
  return ActionResult::failed("labelling pod " + t.podName + ": " + r.error().message);
}

}  // namespace lg::actions
