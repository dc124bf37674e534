#include "operator/runtime/string_interner.h"

#include <algorithm>

namespace lg::runtime {

StringInterner::~StringInterner() {
  for (auto& [view, node] : table_)
    delete node;
}

InternedString StringInterner::intern(std::string_view s) {
  if (s.empty()) return {};
  std::lock_guard g(mu_);
  if (auto it = table_.find(s); it != table_.end()) {
    // Under the mutex: a sweep cannot free the node between the lookup and this increment,
    // and only intern() can raise a count from zero.
    it->second->refs.fetch_add(1, std::memory_order_relaxed);
    return InternedString(it->second);
  }
  if (table_.size() >= sweepAt_) {
    sweepLocked();
    sweepAt_ = std::max<std::size_t>(1024, table_.size() * 2);
  }
  auto* node = new InternedString::Node;
  node->value.assign(s);
  node->refs.store(1, std::memory_order_relaxed);
  table_.emplace(std::string_view(node->value), node);
  return InternedString(node);
}

std::size_t StringInterner::sweep() {
  std::lock_guard g(mu_);
  return sweepLocked();
}

std::size_t StringInterner::sweepLocked() {
  std::size_t removed = 0;
  for (auto it = table_.begin(); it != table_.end();) {
    // acquire pairs with the release in unref(): the last holder is done with the node.
    if (it->second->refs.load(std::memory_order_acquire) == 0) {
      InternedString::Node* node = it->second;
      it = table_.erase(it);
      delete node;
      ++removed;
    } else {
      ++it;
    }
  }
  return removed;
}

std::size_t StringInterner::size() const {
  std::lock_guard g(mu_);
  return table_.size();
}

std::size_t StringInterner::bytes() const {
  std::lock_guard g(mu_);
  std::size_t n = table_.bucket_count() * sizeof(void*);
  for (const auto& [view, node] : table_) {
    n += sizeof(InternedString::Node) + 32;  // node + hash-table node
    if (node->value.size() > 15) n += node->value.capacity() + 1;
  }
  return n;
}

StringInterner& StringInterner::global() {
  static auto* interner = new StringInterner;  // never destroyed: handles may outlive main()
  return *interner;
}

}  // namespace lg::runtime
