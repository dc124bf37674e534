#include "operator/runtime/pod_projection.h"

#include <simdjson.h>

#include <algorithm>
#include <cmath>

#include "operator/kube/quantity.h"

namespace lg::runtime {

namespace {

namespace dom = simdjson::dom;
using Field = simdjson::simdjson_result<dom::element>;

std::string_view stringOf(Field f) {
  std::string_view s;
  return f.get(s) ? std::string_view() : s;
}

// Calls `fn` with each element of the array at `f` (none if absent, null or not an array).
template <class Fn>
void forEach(Field f, Fn fn) {
  dom::array a;
  if (f.get(a)) return;
  for (dom::element e : a)
    fn(e);
}

PodPhase parsePhase(std::string_view s) {
  if (s == "Pending") return PodPhase::kPending;
  if (s == "Running") return PodPhase::kRunning;
  if (s == "Succeeded") return PodPhase::kSucceeded;
  if (s == "Failed") return PodPhase::kFailed;
  return PodPhase::kUnknown;
}

QosClass parseQos(std::string_view s) {
  if (s == "Guaranteed") return QosClass::kGuaranteed;
  if (s == "Burstable") return QosClass::kBurstable;
  if (s == "BestEffort") return QosClass::kBestEffort;
  return QosClass::kUnknown;
}

// A container of the spec, with what the pod's status says of it.
ContainerProjection projectContainer(const dom::element& c, const Field& status,
                                     StringInterner& interner) {
  ContainerProjection cp;
  const std::string_view cname = stringOf(c["name"]);
  cp.name = interner.intern(cname);
  const Field resources = c["resources"];
  const std::string_view limit = stringOf(resources["limits"]["memory"]);
  if (!limit.empty()) cp.memoryLimitBytes = parseQuantityBytes(limit).value_or(0);
  const std::string_view request = stringOf(resources["requests"]["memory"]);
  if (!request.empty()) cp.memoryRequestBytes = parseQuantityBytes(request).value_or(0);
  forEach(c["envFrom"], [&](const dom::element&) { cp.runtimeOptionsInSpec = true; });
  forEach(c["env"], [&](const dom::element& e) {
    const std::string_view n = stringOf(e["name"]);
    for (const auto v : kRuntimeOptionVariables)
      cp.runtimeOptionsInSpec = cp.runtimeOptionsInSpec || n == v;
  });
  bool found = false;
  forEach(status["containerStatuses"], [&](const dom::element& st) {
    if (found || stringOf(st["name"]) != cname) return;
    found = true;
    cp.id = ContainerId::parse(stringOf(st["containerID"]), interner);
    std::int64_t restarts = 0;
    if (!st["restartCount"].get(restarts)) cp.restartCount = static_cast<std::int32_t>(restarts);
    cp.lastTerminationReason = interner.intern(stringOf(st["lastState"]["terminated"]["reason"]));
  });
  return cp;
}

}  // namespace

std::optional<std::int64_t> parseQuantityBytes(std::string_view q) {
  // kube::Quantity is the one quantity parser (exact decimal arithmetic, apimachinery's rules).
  auto parsed = kube::Quantity::parse(q);
  if (!parsed) return std::nullopt;
  // Past what int64_t holds (ceilInt64 would saturate): no byte count at all.
  constexpr double kLimit = 9.2e18;
  if (!(std::fabs(parsed->value()) < kLimit)) return std::nullopt;
  return parsed->ceilInt64();
}

std::optional<PodProjection> projectPod(const kube::ObjectView& view, StringInterner& interner) {
  const dom::element& pod = view.element();
  const Field meta = pod["metadata"];
  const std::string_view name = stringOf(meta["name"]);
  if (name.empty()) return std::nullopt;

  PodProjection p;
  p.name = CompactString(name);
  p.ns = interner.intern(stringOf(meta["namespace"]));
  p.uid = Uid::parse(stringOf(meta["uid"]), interner);
  dom::element deletion;
  p.terminating = !meta["deletionTimestamp"].get(deletion) && !deletion.is_null();

  dom::object labels;
  if (!meta["labels"].get(labels)) {
    p.labels.reserve(labels.size());
    for (dom::key_value_pair kv : labels) {
      std::string_view value;
      if (kv.value.get(value)) continue;
      p.labels.emplace_back(interner.intern(kv.key), interner.intern(value));
    }
  }
  // Sorted for label(); of duplicate keys the first is kept, as in every other field.
  std::stable_sort(p.labels.begin(), p.labels.end(),
                   [](const auto& a, const auto& b) { return a.first.view() < b.first.view(); });
  p.labels.erase(std::unique(p.labels.begin(), p.labels.end(),
                             [](const auto& a, const auto& b) { return a.first == b.first; }),
                 p.labels.end());

  forEach(meta["ownerReferences"], [&](const dom::element& o) {
    if (!o.is_object()) return;
    OwnerRef r;
    r.kind = interner.intern(stringOf(o["kind"]));
    r.name = interner.intern(stringOf(o["name"]));
    r.uid = Uid::parse(stringOf(o["uid"]), interner);
    bool controller = false;
    r.controller = !o["controller"].get(controller) && controller;
    p.owners.push_back(std::move(r));
  });

  const Field spec = pod["spec"];
  p.nodeName = interner.intern(stringOf(spec["nodeName"]));
  const Field status = pod["status"];
  p.phase = parsePhase(stringOf(status["phase"]));
  p.qos = parseQos(stringOf(status["qosClass"]));
  forEach(status["conditions"], [&](const dom::element& c) {
    if (stringOf(c["type"]) == "Ready") p.ready = stringOf(c["status"]) == "True";
  });

  forEach(spec["containers"], [&](const dom::element& c) {
    if (c.is_object()) p.containers.push_back(projectContainer(c, status, interner));
  });
  p.labels.shrink_to_fit();
  p.owners.shrink_to_fit();
  p.containers.shrink_to_fit();
  return p;
}

std::optional<PodProjection> projectPod(const nlohmann::json& pod, StringInterner& interner) {
  std::optional<PodProjection> p;
  kube::withObjectView(pod, [&](const kube::ObjectView& v) { p = projectPod(v, interner); });
  return p;
}

std::string PodProjection::key() const {
  std::string k(ns.view());
  if (!k.empty()) k += '/';
  k += name.view();
  return k;
}

std::optional<std::string_view> PodProjection::label(std::string_view k) const {
  auto it =
      std::lower_bound(labels.begin(), labels.end(), k,
                       [](const auto& l, std::string_view key) { return l.first.view() < key; });
  if (it == labels.end() || it->first.view() != k) return std::nullopt;
  return it->second.view();
}

const OwnerRef* PodProjection::controllerRef() const {
  for (const auto& o : owners)
    if (o.controller) return &o;
  return nullptr;
}

const ContainerProjection* PodProjection::container(std::string_view n) const {
  for (const auto& c : containers)
    if (c.name.view() == n) return &c;
  return nullptr;
}

std::size_t PodProjection::memoryBytes() const {
  std::size_t n = sizeof(*this) + name.heapBytes();
  n += labels.capacity() * sizeof(labels[0]);
  n += owners.capacity() * sizeof(OwnerRef);
  n += containers.capacity() * sizeof(ContainerProjection);
  for (const auto& c : containers)
    n += c.id.heapBytes();
  return n;
}

std::string_view toString(PodPhase p) {
  switch (p) {
    case PodPhase::kPending:
      return "Pending";
    case PodPhase::kRunning:
      return "Running";
    case PodPhase::kSucceeded:
      return "Succeeded";
    case PodPhase::kFailed:
      return "Failed";
    case PodPhase::kUnknown:
      break;
  }
  return "Unknown";
}

std::string_view toString(QosClass q) {
  switch (q) {
    case QosClass::kGuaranteed:
      return "Guaranteed";
    case QosClass::kBurstable:
      return "Burstable";
    case QosClass::kBestEffort:
      return "BestEffort";
    case QosClass::kUnknown:
      break;
  }
  return "";
}

std::vector<std::string> podNamespaceIndex(const PodProjection& p) {
  return {p.ns.str()};
}

std::vector<std::string> podNodeIndex(const PodProjection& p) {
  if (p.nodeName.empty()) return {};
  return {p.nodeName.str()};
}

std::vector<std::string> podOwnerUidIndex(const PodProjection& p) {
  std::vector<std::string> out;
  for (const auto& o : p.owners)
    if (!o.uid.empty()) out.push_back(o.uid.str());
  return out;
}

std::vector<std::string> podLabelIndex(const PodProjection& p) {
  std::vector<std::string> out;
  out.reserve(p.labels.size());
  for (const auto& [k, v] : p.labels) {
    std::string s(k.view());
    s += '=';
    s += v.view();
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace lg::runtime
