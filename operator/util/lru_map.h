#pragma once
// LruMap: a map of bounded size that, when full, drops the entry used least recently. For
// caches fed by outsiders (token reviews), where clearing the whole cache at its bound would let
// a flood push out the entries that matter. Not thread-safe: its owner locks.

#include <cstddef>
#include <functional>
#include <list>
#include <unordered_map>
#include <utility>

namespace lg {

template <class K, class V, class Hash = std::hash<K>>
class LruMap {
 public:
  explicit LruMap(std::size_t capacity) : capacity_(capacity > 0 ? capacity : 1) {}

  // The value of `k`, now the most recently used; nullptr when absent.
  V* find(const K& k) {
    auto it = index_.find(k);
    if (it == index_.end()) return nullptr;
    order_.splice(order_.begin(), order_, it->second);
    return &it->second->second;
  }
  // Sets `k` (the most recently used now), dropping the least recently used past capacity.
  void put(const K& k, V v) {
    if (V* existing = find(k)) {
      *existing = std::move(v);
      return;
    }
    order_.emplace_front(k, std::move(v));
    index_.emplace(k, order_.begin());
    if (order_.size() > capacity_) {
      index_.erase(order_.back().first);
      order_.pop_back();
    }
  }
  bool erase(const K& k) {
    auto it = index_.find(k);
    if (it == index_.end()) return false;
    order_.erase(it->second);
    index_.erase(it);
    return true;
  }
  std::size_t size() const { return order_.size(); }
  std::size_t capacity() const { return capacity_; }

 private:
  using Order = std::list<std::pair<K, V>>;  // most recently used first
  std::size_t capacity_;
  Order order_;
  std::unordered_map<K, typename Order::iterator, Hash> index_;
};

}  // namespace lg
