#pragma once
// Store<T>: the informer cache. Maps a key ("ns/name", or "name" for cluster-scoped objects) to
// an immutable projection std::shared_ptr<const T> and the object's resourceVersion, with named
// secondary indexes (namespace, label pairs, owner uid, node name, ...).
//
// Designed for 100k objects: one hash node per object holding the key (a CompactString: 8
// bytes and an exact-size block), the shared projection and the resourceVersion (a number, as
// the API server's always are, with a text fallback); indexes hold pointers to the keys stored
// in the primary map, never copies of objects or keys. Readers get shared_ptrs, so an object
// they hold stays valid after the store moves on.
//
// Thread safety: all methods are thread-safe (a shared_mutex: many readers, one writer).
// Index functions run under the writer lock and must not call back into the store.

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "operator/runtime/compact_string.h"

namespace lg::runtime {

// How a store changed, reported by its writes and used to call event handlers.
template <class T>
struct StoreChange {
  enum class Kind { kAdded, kUpdated, kDeleted };
  Kind kind;
  std::string key;
  std::shared_ptr<const T> old;  // null for kAdded
  std::shared_ptr<const T> cur;  // null for kDeleted
};

template <class T>
class Store {
 public:
  using Ptr = std::shared_ptr<const T>;
  // Returns the index values of an object (e.g. {"shop"} for the namespace index, one
  // "key=value" per label for a label index). Must be deterministic: it is called again on
  // the stored object to remove it from the index.
  using IndexFunc = std::function<std::vector<std::string>(const T&)>;
  using Change = StoreChange<T>;

  struct Item {
    std::string key;
    Ptr obj;
    std::string resourceVersion;
  };

  // Adds a named index (over the objects already stored, too). Re-adding a name replaces it.
  void addIndex(const std::string& name, IndexFunc fn) {
    std::unique_lock g(mu_);
    Index idx{std::move(fn), {}};
    for (const auto& [key, entry] : items_)
      indexInsert(idx, key, *entry.obj);
    indexes_.insert_or_assign(name, std::move(idx));
  }

  // ---- reads ----
  Ptr get(std::string_view key) const {
    std::shared_lock g(mu_);
    auto it = items_.find(key);
    return it == items_.end() ? nullptr : it->second.obj;
  }
  std::optional<std::string> resourceVersion(std::string_view key) const {
    std::shared_lock g(mu_);
    auto it = items_.find(key);
    if (it == items_.end()) return std::nullopt;
    return it->second.rv.str();
  }
  bool contains(std::string_view key) const {
    std::shared_lock g(mu_);
    return items_.find(key) != items_.end();
  }
  std::size_t size() const {
    std::shared_lock g(mu_);
    return items_.size();
  }
  // A snapshot of every object (unordered).
  std::vector<Ptr> list() const {
    std::shared_lock g(mu_);
    std::vector<Ptr> out;
    out.reserve(items_.size());
    for (const auto& [key, entry] : items_)
      out.push_back(entry.obj);
    return out;
  }
  // Every key, sorted.
  std::vector<std::string> keys() const {
    std::vector<std::string> out;
    {
      std::shared_lock g(mu_);
      out.reserve(items_.size());
      for (const auto& [key, entry] : items_)
        out.push_back(key.str());
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  // Objects whose index function returned `value` for index `index` (empty if either is unknown).
  std::vector<Ptr> byIndex(const std::string& index, const std::string& value) const {
    std::shared_lock g(mu_);
    std::vector<Ptr> out;
    if (const auto* keys = indexedKeys(index, value)) {
      out.reserve(keys->size());
      for (const CompactString* k : *keys)
        out.push_back(items_.find(k->view())->second.obj);
    }
    return out;
  }
  // Keys of those objects, sorted.
  std::vector<std::string> keysByIndex(const std::string& index, const std::string& value) const {
    std::vector<std::string> out;
    {
      std::shared_lock g(mu_);
      if (const auto* keys = indexedKeys(index, value)) {
        out.reserve(keys->size());
        for (const CompactString* k : *keys)
          out.push_back(k->str());
      }
    }
    std::sort(out.begin(), out.end());
    return out;
  }
  // Every value the index currently holds, sorted.
  std::vector<std::string> indexValues(const std::string& index) const {
    std::vector<std::string> out;
    {
      std::shared_lock g(mu_);
      auto it = indexes_.find(index);
      if (it == indexes_.end()) return out;
      for (const auto& [value, keys] : it->second.values)
        out.push_back(value);
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  // ---- writes (the informer's) ----
  // Inserts or replaces the object under `key`. Returns the change, or std::nullopt when the
  // stored object already has this resourceVersion (a replayed event: nothing to do).
  std::optional<Change> upsert(std::string_view key, Ptr obj, const std::string& rv) {
    std::unique_lock g(mu_);
    return upsertLocked(key, std::move(obj), rv);
  }
  // Removes `key`. Returns the change, or std::nullopt if it was not stored.
  std::optional<Change> erase(std::string_view key) {
    std::unique_lock g(mu_);
    auto it = items_.find(key);
    if (it == items_.end()) return std::nullopt;
    Change c{Change::Kind::kDeleted, std::string(key), it->second.obj, nullptr};
    for (auto& [name, idx] : indexes_)
      indexErase(idx, it->first, *it->second.obj);
    items_.erase(it);
    return c;
  }
  // Makes the store hold exactly `items` (a fresh list): objects missing from it are deleted,
  // new ones added, ones whose resourceVersion changed updated; unchanged ones keep their stored
  // projection and report nothing. Later duplicates of a key win. With a `scope` prefix (a
  // namespace's "ns/"), only stored keys that start with it may be deleted: the list of one
  // namespace leaves the others' objects alone.
  std::vector<Change> replace(std::vector<Item> items, std::string_view scope = {}) {
    std::unique_lock g(mu_);
    std::vector<Change> changes;
    std::unordered_set<std::string_view> present;
    present.reserve(items.size());
    for (const auto& item : items)
      present.insert(item.key);
    for (auto it = items_.begin(); it != items_.end();) {
      if (present.contains(it->first.view()) || !it->first.view().starts_with(scope)) {
        ++it;
        continue;
      }
      changes.push_back(Change{Change::Kind::kDeleted, it->first.str(), it->second.obj, nullptr});
      for (auto& [name, idx] : indexes_)
        indexErase(idx, it->first, *it->second.obj);
      it = items_.erase(it);
    }
    for (auto& item : items) {
      if (auto c = upsertLocked(item.key, std::move(item.obj), item.resourceVersion))
        changes.push_back(std::move(*c));
    }
    return changes;
  }

 private:
  // A resourceVersion in 16 bytes without a heap block when it is a decimal number (as the
  // API server's are); otherwise the text.
  class Version {
   public:
    Version() = default;
    explicit Version(std::string_view rv) {
      const char* end = rv.data() + rv.size();
      auto [p, ec] = std::from_chars(rv.data(), end, num_);
      // Numeric only if it prints back the same (no leading zeros, not 0).
      if (ec != std::errc() || p != end || rv[0] == '0') {
        num_ = 0;
        text_ = CompactString(rv);
      }
    }
    bool operator==(const Version& o) const { return num_ == o.num_ && text_ == o.text_; }
    bool empty() const { return num_ == 0 && text_.empty(); }
    std::string str() const { return num_ ? std::to_string(num_) : text_.str(); }

   private:
    std::uint64_t num_ = 0;  // the number, or 0 when text_ holds the version
    CompactString text_;
  };
  struct Entry {
    Ptr obj;
    Version rv;
  };
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    std::size_t operator()(const CompactString& s) const { return (*this)(s.view()); }
  };
  struct Eq {
    using is_transparent = void;
    template <class A, class B>
    bool operator()(const A& a, const B& b) const {
      return view(a) == view(b);
    }
    static std::string_view view(std::string_view s) { return s; }
    static std::string_view view(const CompactString& s) { return s.view(); }
  };
  struct Index {
    IndexFunc fn;
    // value -> keys (pointers to the keys owned by items_; stable across rehashing).
    std::unordered_map<std::string, std::unordered_set<const CompactString*>> values;
  };

  std::optional<Change> upsertLocked(std::string_view key, Ptr obj, std::string_view rvText) {
    Version rv(rvText);
    auto it = items_.find(key);
    const bool inserted = it == items_.end();
    if (inserted) {
      it = items_.emplace(CompactString(key), Entry{}).first;
    } else {
      if (!rv.empty() && it->second.rv == rv) return std::nullopt;
      for (auto& [name, idx] : indexes_)
        indexErase(idx, it->first, *it->second.obj);
    }
    Entry& e = it->second;
    Change c{inserted ? Change::Kind::kAdded : Change::Kind::kUpdated, std::string(key), e.obj,
             obj};
    e.obj = std::move(obj);
    e.rv = std::move(rv);
    for (auto& [name, idx] : indexes_)
      indexInsert(idx, it->first, *e.obj);
    return c;
  }
  static void indexInsert(Index& idx, const CompactString& key, const T& obj) {
    for (auto& v : idx.fn(obj))
      idx.values[std::move(v)].insert(&key);
  }
  static void indexErase(Index& idx, const CompactString& key, const T& obj) {
    for (const auto& v : idx.fn(obj)) {
      auto it = idx.values.find(v);
      if (it == idx.values.end()) continue;
      it->second.erase(&key);
      if (it->second.empty()) idx.values.erase(it);
    }
  }
  const std::unordered_set<const CompactString*>* indexedKeys(const std::string& index,
                                                              const std::string& value) const {
    auto it = indexes_.find(index);
    if (it == indexes_.end()) return nullptr;
    auto vit = it->second.values.find(value);
    return vit == it->second.values.end() ? nullptr : &vit->second;
  }

  mutable std::shared_mutex mu_;
  std::unordered_map<CompactString, Entry, Hash, Eq> items_;
  std::unordered_map<std::string, Index> indexes_;
};

}  // namespace lg::runtime
