#pragma once
// PodProjection: what LeakGuard caches of a Pod (memory budget: a few hundred bytes per pod,
// never the JSON). Identity, labels, owners, node, phase, QoS class, and per container its
// name, id, memory limit, restart count and last termination reason; whether the pod is Ready.
// Strings that repeat across pods (namespace, label keys/values, node names, owner kinds, container
// names, reasons, owner names) are interned; the pod's name is a CompactString; uids are 16 bytes
// and container ids 32 bytes plus their interned runtime scheme.
//
// Projections are immutable once made (the Store hands out shared_ptr<const PodProjection>);
// read them from any thread.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "operator/kube/object_view.h"
#include "operator/runtime/compact_string.h"
#include "operator/runtime/container_id.h"
#include "operator/runtime/string_interner.h"
#include "operator/runtime/uid.h"

namespace lg::runtime {

enum class PodPhase : std::uint8_t { kUnknown, kPending, kRunning, kSucceeded, kFailed };
enum class QosClass : std::uint8_t { kUnknown, kGuaranteed, kBurstable, kBestEffort };

struct OwnerRef {
  InternedString kind;  // "ReplicaSet", "StatefulSet", ...
  InternedString name;  // shared by the owner's replicas
  Uid uid;
  bool controller = false;
};

struct ContainerProjection {
  InternedString name;
  ContainerId id;                       // status containerID, e.g. "containerd://<64 hex>"
  std::int64_t memoryLimitBytes = 0;    // resources.limits.memory; 0: none
  std::int64_t memoryRequestBytes = 0;  // resources.requests.memory; 0: none (sizing's "current")
  std::int32_t restartCount = 0;
  InternedString lastTerminationReason;  // lastState.terminated.reason, e.g. "OOMKilled"
  // The spec's env names one of kRuntimeOptionVariables, or it has envFrom (names unknown).
  bool runtimeOptionsInSpec = false;
};

// The environment variables that carry a JVM's or Node.js's heap options
// (controllers/agent/runtime_heap.h reads them from a process's environment).
inline constexpr std::string_view kRuntimeOptionVariables[] = {
    "JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS", "NODE_OPTIONS"};

struct PodProjection {
  Uid uid;
  InternedString ns;
  CompactString name;
  InternedString nodeName;  // "" until scheduled
  PodPhase phase = PodPhase::kUnknown;
  QosClass qos = QosClass::kUnknown;
  bool terminating = false;  // metadata.deletionTimestamp set
  bool ready = false;  // status.conditions[Ready] is True (the budgets count unavailable pods)
  std::vector<std::pair<InternedString, InternedString>> labels;  // sorted by key
  std::vector<OwnerRef> owners;
  std::vector<ContainerProjection> containers;  // spec order; regular containers only

  std::string key() const;  // "ns/name"
  std::optional<std::string_view> label(std::string_view key) const;
  const OwnerRef* controllerRef() const;
  const ContainerProjection* container(std::string_view name) const;
  // Bytes this projection holds on the heap and inline (interned strings not counted: shared).
  std::size_t memoryBytes() const;
};

// Projects a Pod object, as the pods' cache gets it (simdjson). std::nullopt if it has no
// metadata.name. Tolerates missing and mistyped fields (they stay at their defaults). Never
// throws.
std::optional<PodProjection> projectPod(const kube::ObjectView& pod,
                                        StringInterner& interner = StringInterner::global());
// The same from a document (serialised and parsed again: tests and rare paths).
std::optional<PodProjection> projectPod(const nlohmann::json& pod,
                                        StringInterner& interner = StringInterner::global());

// A Kubernetes quantity ("128Mi", "1Gi", "500M", "1.5e9", "100m") in bytes, rounded up.
// std::nullopt if malformed or out of range.
std::optional<std::int64_t> parseQuantityBytes(std::string_view q);

std::string_view toString(PodPhase p);
std::string_view toString(QosClass q);

// Index functions for Store<PodProjection>::addIndex.
std::vector<std::string> podNamespaceIndex(const PodProjection& p);  // {"shop"}
std::vector<std::string> podNodeIndex(const PodProjection& p);       // {"node-1"} or {}
std::vector<std::string> podOwnerUidIndex(const PodProjection& p);   // every owner's uid
std::vector<std::string> podLabelIndex(const PodProjection& p);      // {"app=checkout", ...}

}  // namespace lg::runtime
