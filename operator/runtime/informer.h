#pragma once
// Informer<T>: a Reflector feeding a Store<T> of projections, plus event handlers.
//
// Scoped to some namespaces (`namespaces` not empty), it runs one Reflector per namespace, all
// feeding the one store: a re-list of one namespace replaces only that namespace's objects
// (keys "ns/..."), so a 410 in one namespace never drops another's. This is how a LeakGuard
// scoped with --namespaces watches with namespaced RBAC only (Roles, no ClusterRole).
//
// Each listed or watched object goes through the projector, which keeps only the fields the
// operator reads (memory budget: never the whole JSON). A ViewProjector reads the object as
// simdjson parsed it (kube::ObjectView: the pods' cache, where the cost per watch event
// matters); a Projector gets it as nlohmann::json, without metadata.managedFields. A projector
// returning std::nullopt filters the object out (and removes it if it was stored). Watch events
// whose object already sits in the store with the same resourceVersion are dropped, so an event
// replayed after a re-watch is never processed twice; a re-list (after 410 Gone) replaces the store
// and emits deletes for vanished objects and updates for changed ones, never duplicate adds.
//
// Thread safety: store() is thread-safe. addEventHandler() and addIndex() must be called before
// start(). Handlers run on a reflector's thread, one call at a time (a mutex serialises the
// reflectors of a scoped informer), in each namespace's event order; one that throws is logged
// and the others still run. hasSynced()/waitForSync()/stop() are thread-safe.

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "operator/runtime/event_handler.h"
#include "operator/runtime/informer_base.h"
#include "operator/runtime/reflector.h"
#include "operator/runtime/runtime_metrics.h"
#include "operator/runtime/store.h"
#include "operator/util/logger.h"

namespace lg::runtime {

template <class T>
class Informer final : public ReflectorSink, public InformerBase {
 public:
  using Ptr = std::shared_ptr<const T>;
  using Projector = std::function<std::optional<T>(const nlohmann::json&)>;
  using ViewProjector = std::function<std::optional<T>(const kube::ObjectView&)>;

  // namespaces empty: one reflector over opts.resource (every namespace when its ns is "").
  // Otherwise one reflector per namespace (opts.resource.ns is replaced), duplicates ignored.
  Informer(kube::ApiClient& api, Clock& clock, ReflectorOptions opts, Projector projector,
           const std::vector<std::string>& namespaces = {})
      : Informer(api, clock, std::move(opts),
                 ViewProjector([p = std::move(projector)](const kube::ObjectView& v) {
                   return p(v.toJson());
                 }),
                 namespaces) {}
  Informer(kube::ApiClient& api, Clock& clock, ReflectorOptions opts, ViewProjector projector,
           const std::vector<std::string>& namespaces = {})
      : clock_(clock), projector_(std::move(projector)), whole_(*this, "") {
    if (opts.name.empty()) opts.name = opts.resource.resource;
    name_ = opts.name;
    if (opts.metrics) cacheObjects_ = &opts.metrics->cacheObjects.labels({name_});
    if (namespaces.empty()) {
      reflectors_.push_back(std::make_unique<Reflector>(api, clock, whole_, std::move(opts)));
      return;
    }
    for (const auto& ns : namespaces) {
      bool seen = false;
      for (const auto& p : partitions_)
        seen |= p->ns() == ns;
      if (seen) continue;
      partitions_.push_back(std::make_unique<Partition>(*this, ns));
      ReflectorOptions o = opts;
      o.resource.ns = ns;
      reflectors_.push_back(std::make_unique<Reflector>(api, clock, *partitions_.back(), o));
    }
  }
  ~Informer() override { stop(); }

  Store<T>& store() { return store_; }
  const Store<T>& store() const { return store_; }
  // The first reflector (the only one unless scoped to several namespaces).
  Reflector& reflector() { return *reflectors_.front(); }
  std::size_t reflectorCount() const { return reflectors_.size(); }
  const std::string& name() const override { return name_; }

  void addIndex(const std::string& name, typename Store<T>::IndexFunc fn) {
    store_.addIndex(name, std::move(fn));
  }
  void addEventHandler(EventHandler<T> handler) { handlers_.push_back(std::move(handler)); }

  void start() override {
    for (auto& r : reflectors_)
      r->start();
  }
  void stop() override {
    for (auto& r : reflectors_)
      r->stop();
  }
  bool hasSynced() const override {
    for (const auto& r : reflectors_)
      if (!r->hasSynced()) return false;
    return true;
  }
  // Waits for every reflector in turn, each within what is left of `timeout` on the clock.
  bool waitForSync(std::chrono::nanoseconds timeout) {
    const auto deadline = clock_.steadyNow() + timeout;
    for (auto& r : reflectors_) {
      const auto left = std::max(deadline - clock_.steadyNow(), decltype(deadline - deadline){});
      if (!r->waitForSync(left)) return false;
    }
    return true;
  }

  // ---- ReflectorSink of the whole store (tests drive it directly, as a reflector would) ----
  void beginList() override { whole_.beginList(); }
  void listed(const kube::ObjectView& object) override { whole_.listed(object); }
  void endList(bool complete) override { whole_.endList(complete); }
  void watched(kube::WatchEvent::Type type, const kube::ObjectView& object) override {
    whole_.watched(type, object);
  }
  // The same from a document (tests).
  void listed(const nlohmann::json& object) {
    kube::withObjectView(object, [&](const kube::ObjectView& v) { whole_.listed(v); });
  }
  void watched(kube::WatchEvent::Type type, const nlohmann::json& object) {
    kube::withObjectView(object, [&](const kube::ObjectView& v) { whole_.watched(type, v); });
  }

 private:
  // What one reflector feeds: the whole store (ns "") or the objects of one namespace.
  class Partition final : public ReflectorSink {
   public:
    Partition(Informer& owner, std::string ns)
        : owner_(owner), ns_(std::move(ns)), prefix_(ns_.empty() ? "" : ns_ + "/") {}
    const std::string& ns() const { return ns_; }

    void beginList() override { staged_.clear(); }
    void listed(const kube::ObjectView& object) override {
      std::string key = object.key();
      if (key.empty()) return;
      auto projected = owner_.project(object, key);
      if (!projected) return;
      staged_.push_back({std::move(key), std::move(projected), object.resourceVersion()});
    }
    void endList(bool complete) override {
      std::vector<typename Store<T>::Item> items;
      items.swap(staged_);
      if (!complete) return;
      std::lock_guard g(owner_.writeMu_);
      for (const auto& change : owner_.store_.replace(std::move(items), prefix_))
        owner_.dispatch(change);
      owner_.countObjects();
    }
    void watched(kube::WatchEvent::Type type, const kube::ObjectView& object) override {
      const std::string key = object.key();
      if (key.empty()) return;
      auto projected =
          type == kube::WatchEvent::Type::kDeleted ? nullptr : owner_.project(object, key);
      std::lock_guard g(owner_.writeMu_);
      if (!projected) {
        if (auto change = owner_.store_.erase(key)) owner_.dispatch(*change);
        owner_.countObjects();
        return;
      }
      if (auto change = owner_.store_.upsert(key, std::move(projected), object.resourceVersion()))
        owner_.dispatch(*change);
      owner_.countObjects();
    }

   private:
    Informer& owner_;
    std::string ns_;
    std::string prefix_;  // keys a re-list may delete: "ns/", or "" for all
    std::vector<typename Store<T>::Item> staged_;  // the list in progress
  };

  void countObjects() {
    if (cacheObjects_) cacheObjects_->set(static_cast<double>(store_.size()));
  }
  Ptr project(const kube::ObjectView& object, const std::string& key) {
    try {
      auto p = projector_(object);
      if (!p) return nullptr;
      return std::make_shared<const T>(std::move(*p));
    } catch (const std::exception& e) {
      // A projector that throws on odd JSON must not take the watch down: skip the object.
      LG_LOG(warn, "projector failed", {{"resource", name()}, {"key", key}, {"error", e.what()}});
      return nullptr;
    }
  }
  void dispatch(const StoreChange<T>& c) {
    using Kind = typename StoreChange<T>::Kind;
    for (const auto& h : handlers_) {
      try {
        switch (c.kind) {
          case Kind::kAdded:
            if (h.onAdd) h.onAdd(c.key, c.cur);
            break;
          case Kind::kUpdated:
            if (h.onUpdate) h.onUpdate(c.key, c.old, c.cur);
            break;
          case Kind::kDeleted:
            if (h.onDelete) h.onDelete(c.key, c.old);
            break;
        }
      } catch (const std::exception& e) {
        // A failing handler must not end the watch (nor the process, from this thread).
        LG_LOG(error, "event handler failed",
               {{"resource", name()}, {"key", c.key}, {"error", e.what()}});
      }
    }
  }

  Clock& clock_;
  ViewProjector projector_;
  Gauge* cacheObjects_ = nullptr;  // leakguard_cache_objects{resource}
  Store<T> store_;
  std::vector<EventHandler<T>> handlers_;
  std::string name_;
  std::mutex writeMu_;  // one store write + its handlers at a time, across reflectors
  Partition whole_;
  std::vector<std::unique_ptr<Partition>> partitions_;  // one per namespace when scoped
  std::vector<std::unique_ptr<Reflector>> reflectors_;  // last: stopped first, use the rest
};

}  // namespace lg::runtime
