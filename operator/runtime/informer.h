#pragma once
// Informer<T>: a Reflector feeding a Store<T> of projections, plus event handlers.
//
// Each listed or watched object goes through the projector, which keeps only the fields the
// operator reads (memory budget: never the whole JSON). A projector returning std::nullopt
// filters the object out (and removes it if it was stored). Watch events whose object already
// sits in the store with the same resourceVersion are dropped, so an event replayed after a
// re-watch is never processed twice; a re-list (after 410 Gone) replaces the store and emits
// deletes for vanished objects and updates for changed ones, never duplicate adds.
//
// Thread safety: store() is thread-safe. addEventHandler() and addIndex() must be called before
// start(). Handlers run on the reflector's thread, in event order; one that throws is logged and
// the others still run. hasSynced()/waitForSync()/stop() are thread-safe.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "operator/runtime/event_handler.h"
#include "operator/runtime/informer_base.h"
#include "operator/runtime/reflector.h"
#include "operator/runtime/store.h"
#include "operator/util/logger.h"

namespace lg::runtime {

template <class T>
class Informer final : public ReflectorSink, public InformerBase {
 public:
  using Ptr = std::shared_ptr<const T>;
  using Projector = std::function<std::optional<T>(const nlohmann::json&)>;

  Informer(kube::ApiClient& api, Clock& clock, ReflectorOptions opts, Projector projector)
      : projector_(std::move(projector)), reflector_(api, clock, *this, std::move(opts)) {}
  ~Informer() override { reflector_.stop(); }

  Store<T>& store() { return store_; }
  const Store<T>& store() const { return store_; }
  Reflector& reflector() { return reflector_; }
  const std::string& name() const override { return reflector_.name(); }

  void addIndex(const std::string& name, typename Store<T>::IndexFunc fn) {
    store_.addIndex(name, std::move(fn));
  }
  void addEventHandler(EventHandler<T> handler) { handlers_.push_back(std::move(handler)); }

  void start() override { reflector_.start(); }
  void stop() override { reflector_.stop(); }
  bool hasSynced() const override { return reflector_.hasSynced(); }
  bool waitForSync(std::chrono::nanoseconds timeout) { return reflector_.waitForSync(timeout); }

  // ---- ReflectorSink (the reflector's thread) ----
  void beginList() override { staged_.clear(); }
  void listed(const nlohmann::json& object) override {
    std::string key = objectKey(object);
    if (key.empty()) return;
    auto projected = project(object);
    if (!projected) return;
    staged_.push_back({std::move(key), std::move(projected), objectResourceVersion(object)});
  }
  void endList(bool complete) override {
    std::vector<typename Store<T>::Item> items;
    items.swap(staged_);
    if (!complete) return;
    for (const auto& change : store_.replace(std::move(items)))
      dispatch(change);
  }
  void watched(kube::WatchEvent::Type type, const nlohmann::json& object) override {
    const std::string key = objectKey(object);
    if (key.empty()) return;
    if (type == kube::WatchEvent::Type::kDeleted) {
      if (auto change = store_.erase(key)) dispatch(*change);
      return;
    }
    auto projected = project(object);
    if (!projected) {
      if (auto change = store_.erase(key)) dispatch(*change);
      return;
    }
    if (auto change = store_.upsert(key, std::move(projected), objectResourceVersion(object)))
      dispatch(*change);
  }

 private:
  Ptr project(const nlohmann::json& object) {
    try {
      auto p = projector_(object);
      if (!p) return nullptr;
      return std::make_shared<const T>(std::move(*p));
    } catch (const std::exception& e) {
      // A projector that throws on odd JSON must not take the watch down: skip the object.
      LG_LOG(warn, "projector failed",
             {{"resource", name()}, {"key", objectKey(object)}, {"error", e.what()}});
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

  Projector projector_;
  Store<T> store_;
  std::vector<EventHandler<T>> handlers_;
  std::vector<typename Store<T>::Item> staged_;  // the list in progress
  Reflector reflector_;                          // last: stopped first, uses the rest
};

}  // namespace lg::runtime
