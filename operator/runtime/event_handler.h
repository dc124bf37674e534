#pragma once
// EventHandler<T>: what an Informer<T> calls after its Store changed. Called on the reflector's
// thread, in event order, after the store already holds the new state; handlers must be quick
// (typically: enqueue keys) and must not block on the informer.
//
// Reconcilers must not trust the payload (house rule 1): handlers map an event to keys, the
// reconcile re-reads the cache.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "operator/runtime/work_queue.h"

namespace lg::runtime {

template <class T>
struct EventHandler {
  using Ptr = std::shared_ptr<const T>;
  std::function<void(const std::string& key, const Ptr& obj)> onAdd;
  std::function<void(const std::string& key, const Ptr& old, const Ptr& cur)> onUpdate;
  std::function<void(const std::string& key, const Ptr& old)> onDelete;
};

// A handler that adds the object's own key to `queue` on every add, update and delete.
template <class T>
EventHandler<T> enqueueOwnKey(WorkQueue& queue) {
  using Ptr = std::shared_ptr<const T>;
  return EventHandler<T>{
      .onAdd = [&queue](const std::string& key, const Ptr&) { queue.add(key); },
      .onUpdate = [&queue](const std::string& key, const Ptr&, const Ptr&) { queue.add(key); },
      .onDelete = [&queue](const std::string& key, const Ptr&) { queue.add(key); },
  };
}

// A handler that maps each event to other keys (e.g. a pod event to the keys of the
// LeakPolicies that select it) and adds them to `queue`. On update both the old and the new
// object are mapped, so a pod that stops matching a policy still wakes it.
template <class T>
EventHandler<T> enqueueMapped(WorkQueue& queue,
                              std::function<std::vector<std::string>(const T&)> map) {
  using Ptr = std::shared_ptr<const T>;
  auto addAll = [&queue, map](const Ptr& obj) {
    if (!obj) return;
    for (const auto& k : map(*obj))
      queue.add(k);
  };
  return EventHandler<T>{
      .onAdd = [addAll](const std::string&, const Ptr& obj) { addAll(obj); },
      .onUpdate =
          [addAll](const std::string&, const Ptr& old, const Ptr& cur) {
            addAll(old);
            addAll(cur);
          },
      .onDelete = [addAll](const std::string&, const Ptr& old) { addAll(old); },
  };
}

}  // namespace lg::runtime
