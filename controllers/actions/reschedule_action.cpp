#include "controllers/actions/reschedule_action.h"

#include <cctype>
#include <cstdint>

#include "controllers/actions/action_support.h"
#include "operator/kube/rfc3339.h"

namespace lg::actions {
namespace {

nlohmann::json taintsOf(const nlohmann::json& node) {
  if (!node.is_object()) return nlohmann::json::array();
  const auto& spec = node.value("spec", nlohmann::json::object());
  auto it = spec.find("taints");
  return it != spec.end() && it->is_array() ? *it : nlohmann::json::array();
}

// Writes the node's taints and LeakGuard's label with them (set, or null: removed), failing with
// 409 if the node changed since it was read.
Status writeTaints(kube::ApiClient& api, const nlohmann::json& node, const nlohmann::json& taints,
                   const nlohmann::json& label, std::chrono::milliseconds timeout) {
  kube::WriteOptions w;
  w.timeout = timeout;
  const nlohmann::json patch = {{"metadata",
                                 {{"resourceVersion", stringAt(node, "/metadata/resourceVersion")},
                                  {"labels", {{kTaintedNodeLabel, label}}}}},
                                {"spec", {{"taints", taints}}}};
  auto r = api.patch(nodeRef(stringAt(node, "/metadata/name")), kube::PatchType::kMerge, patch, w);
  if (!r) return r.error();
  return okStatus();
}

}  // namespace

bool RescheduleAction::hasTaint(const nlohmann::json& node) {
  for (const auto& t : taintsOf(node))
    if (t.is_object() && t.value("key", "") == kPressureTaintKey) return true;
  return false;
}

ActionPlan RescheduleAction::prepare(const ActionContext& ctx) const {
  const auto& t = *ctx.target;
  if (t.node.empty()) return ActionPlan::skip("pod " + t.podName + " is not on a node");
  if (const auto why = whyNotEvictable(t); !why.empty()) return ActionPlan::skip(why);
  auto node = ctx.api->get(nodeRef(t.node));
  if (!node) {
    if (node.error().code == 404) return ActionPlan::skip("node " + t.node + " is gone");
    return ActionPlan::fail("reading node " + t.node + ": " + node.error().message);
  }
  if (!nodeUnderMemoryPressure(*node))
    return ActionPlan::skip("node " + t.node + " is not under memory pressure");
  const auto check = evictionCheck(ctx);
  if (check.failed) return ActionPlan::fail(check.why);
  if (!check.allowed) return ActionPlan::skip(check.why);
  return ActionPlan::go(std::string(hasTaint(*node) ? "keep" : "taint") + " node " + t.node + " " +
                        kPressureTaintKey +
                        ":NoSchedule while its memory pressure lasts and evict pod " + t.podName +
                        " (the worst leaker on it) through the Eviction API");
}

ActionResult RescheduleAction::run(const ActionContext& ctx, const ActionPlan&) const {
  const auto& t = *ctx.target;
  // Taint first: the evicted pod's replacement must not land on the same node. The write names
  // the node's resourceVersion; a node changed meanwhile (its kubelet's status, another
  // LeakGuard tainting it at the same moment) is read again and the taint tried again.
  for (int attempt = 1;; ++attempt) {
    auto node = ctx.api->get(nodeRef(t.node));
    if (!node) return ActionResult::failed("reading node " + t.node + ": " + node.error().message);
    if (hasTaint(*node)) break;
    auto taints = taintsOf(*node);
    taints.push_back({{"key", kPressureTaintKey},
                      {"value", "true"},
                      {"effect", "NoSchedule"},
                      {"timeAdded", isoTime(ctx.now)}});
    auto st = writeTaints(*ctx.api, *node, taints, installLabel(ctx.install), ctx.timeout);
    if (st) break;
    if (st.error().code != 409 || attempt == 3)
      return ActionResult::failed("tainting node " + t.node + ": " + st.error().message);
  }
  return evict(ctx, "PodRescheduled",
               "pod " + t.podName + " evicted from node " + t.node +
                   " under memory pressure; node tainted " + kPressureTaintKey +
                   ":NoSchedule until the pressure ends");
}

std::string RescheduleAction::installLabel(std::string_view install) {
  if (install.empty()) return "true";
  std::string v;
  for (char c : install)
    v += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ? c : '.';
  if (v.size() > 63) {
    std::uint32_t h = 2166136261u;  // FNV-1a of the whole identity
    for (unsigned char c : install) {
      h ^= c;
      h *= 16777619u;
    }
    static constexpr char kHex[] = "0123456789abcdef";
    v.resize(54);
    v += '-';
    for (int shift = 28; shift >= 0; shift -= 4)
      v += kHex[(h >> shift) & 0xF];
  }
  while (!v.empty() && !std::isalnum(static_cast<unsigned char>(v.front())))
    v.erase(v.begin());
  while (!v.empty() && !std::isalnum(static_cast<unsigned char>(v.back())))
    v.pop_back();
  return v.empty() ? "true" : v;
}

bool RescheduleAction::taintedBy(const nlohmann::json& node, std::string_view install) {
  const std::string label = stringAt(node, "/metadata/labels/leakguard.io~1memory-pressure-taint");
  return label.empty() || label == "true" || label == installLabel(install);
}

std::optional<double> RescheduleAction::taintAdded(const nlohmann::json& node) {
  for (const auto& t : taintsOf(node))
    if (t.is_object() && t.value("key", "") == kPressureTaintKey) {
      auto when = kube::parseRfc3339(stringAt(t, "/timeAdded"));
      if (!when) return std::nullopt;
      return toSeconds(*when);
    }
  return std::nullopt;
}

Status RescheduleAction::release(kube::ApiClient& api, const nlohmann::json& node,
                                 std::chrono::milliseconds timeout) {
  nlohmann::json kept = nlohmann::json::array();
  for (const auto& t : taintsOf(node))
    if (!(t.is_object() && t.value("key", "") == kPressureTaintKey)) kept.push_back(t);
  return writeTaints(api, node, kept, nullptr, timeout);
}

Result<Verification> RescheduleAction::verify(const ActionContext& ctx, double) const {
  // The taint goes on again with the retry, if it is needed still.
  return verifyPodGone(ctx, "eviction");
}

bool RescheduleAction::evictsPod(const policy::PlaybookStep&) const {
  return true;
}

}  // namespace lg::actions
