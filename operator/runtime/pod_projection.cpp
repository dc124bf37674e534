#include "operator/runtime/pod_projection.h"

#include <algorithm>
#include <cmath>

#include "operator/kube/quantity.h"

namespace lg::runtime {

namespace {

using json = nlohmann::json;

const json* field(const json& obj, const char* name) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(name);
  return it == obj.end() ? nullptr : &*it;
}

std::string_view stringAt(const json& obj, const char* name) {
  const json* f = field(obj, name);
  return f && f->is_string() ? std::string_view(f->get_ref<const std::string&>())
                             : std::string_view();
}

const json& objectAt(const json& obj, const char* name) {
  static const json kEmpty = json::object();
  const json* f = field(obj, name);
  return f && f->is_object() ? *f : kEmpty;
}

const json& arrayAt(const json& obj, const char* name) {
  static const json kEmpty = json::array();
  const json* f = field(obj, name);
  return f && f->is_array() ? *f : kEmpty;
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

std::optional<PodProjection> projectPod(const json& pod, StringInterner& interner) {
  const json& meta = objectAt(pod, "metadata");
  const std::string_view name = stringAt(meta, "name");
  if (name.empty()) return std::nullopt;

  PodProjection p;
  p.name = CompactString(name);
  p.ns = interner.intern(stringAt(meta, "namespace"));
  p.uid = Uid::parse(stringAt(meta, "uid"), interner);
  p.terminating =
      field(meta, "deletionTimestamp") && !(*field(meta, "deletionTimestamp")).is_null();

  const json& labels = objectAt(meta, "labels");
  p.labels.reserve(labels.size());
  for (auto it = labels.begin(); it != labels.end(); ++it) {
    if (!it.value().is_string()) continue;
    p.labels.emplace_back(interner.intern(it.key()),
                          interner.intern(it.value().get_ref<const std::string&>()));
  }
  // nlohmann's object is a std::map: keys already sorted; sort anyway for other containers.
  std::sort(p.labels.begin(), p.labels.end(),
            [](const auto& a, const auto& b) { return a.first.view() < b.first.view(); });

  const json& owners = arrayAt(meta, "ownerReferences");
  p.owners.reserve(owners.size());
  for (const json& o : owners) {
    if (!o.is_object()) continue;
    OwnerRef r;
    r.kind = interner.intern(stringAt(o, "kind"));
    r.name = interner.intern(stringAt(o, "name"));
    r.uid = Uid::parse(stringAt(o, "uid"), interner);
    const json* c = field(o, "controller");
    r.controller = c && c->is_boolean() && c->get<bool>();
    p.owners.push_back(std::move(r));
  }

  const json& spec = objectAt(pod, "spec");
  p.nodeName = interner.intern(stringAt(spec, "nodeName"));
  const json& status = objectAt(pod, "status");
  p.phase = parsePhase(stringAt(status, "phase"));
  p.qos = parseQos(stringAt(status, "qosClass"));
  for (const json& c : arrayAt(status, "conditions")) {
    if (stringAt(c, "type") == "Ready") p.ready = stringAt(c, "status") == "True";
  }

  const json& containers = arrayAt(spec, "containers");
  const json& statuses = arrayAt(status, "containerStatuses");
  p.containers.reserve(containers.size());
  for (const json& c : containers) {
    if (!c.is_object()) continue;
    ContainerProjection cp;
    const std::string_view cname = stringAt(c, "name");
    cp.name = interner.intern(cname);
    const json& resources = objectAt(c, "resources");
    const std::string_view limit = stringAt(objectAt(resources, "limits"), "memory");
    if (!limit.empty()) cp.memoryLimitBytes = parseQuantityBytes(limit).value_or(0);
    const std::string_view request = stringAt(objectAt(resources, "requests"), "memory");
    if (!request.empty()) cp.memoryRequestBytes = parseQuantityBytes(request).value_or(0);
    cp.runtimeOptionsInSpec = !arrayAt(c, "envFrom").empty();
    for (const json& e : arrayAt(c, "env")) {
      const std::string_view n = stringAt(e, "name");
      for (const auto v : kRuntimeOptionVariables)
        cp.runtimeOptionsInSpec = cp.runtimeOptionsInSpec || n == v;
    }
    for (const json& s : statuses) {
      if (stringAt(s, "name") != cname) continue;
      cp.id = ContainerId::parse(stringAt(s, "containerID"), interner);
      const json* rc = field(s, "restartCount");
      if (rc && rc->is_number_integer()) cp.restartCount = rc->get<std::int32_t>();
      cp.lastTerminationReason =
          interner.intern(stringAt(objectAt(objectAt(s, "lastState"), "terminated"), "reason"));
      break;
    }
    p.containers.push_back(std::move(cp));
  }
  p.labels.shrink_to_fit();
  p.owners.shrink_to_fit();
  p.containers.shrink_to_fit();
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
