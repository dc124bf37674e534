#pragma once
// StringInterner: one shared copy of each string that repeats across cached objects
// (namespaces, label keys and values, node names, owner kinds, termination reasons).
// InternedString is an 8-byte reference-counted handle to that copy; equal strings from the
// same interner have equal handles, so comparison is a pointer compare.
//
// Memory stays bounded as values churn (pod-template-hash labels change on every rollout):
// a string no handle refers to any more is freed by the next sweep, which intern() runs
// whenever the table has doubled since the last one (amortised O(1)).
//
// Thread safety: intern()/sweep()/size() are thread-safe (one mutex). Handles may be copied and
// destroyed from any thread (atomic counts). Every handle must be destroyed before its
// interner; global() is never destroyed.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace lg::runtime {

class InternedString {
 public:
  InternedString() = default;  // ""
  InternedString(const InternedString& o) : n_(o.n_) { ref(); }
  InternedString(InternedString&& o) noexcept : n_(o.n_) { o.n_ = nullptr; }
  InternedString& operator=(const InternedString& o) {
    if (n_ != o.n_) {
      InternedString tmp(o);
      std::swap(n_, tmp.n_);
    }
    return *this;
  }
  InternedString& operator=(InternedString&& o) noexcept {
    std::swap(n_, o.n_);
    return *this;
  }
  ~InternedString() { unref(); }

  std::string_view view() const { return n_ ? std::string_view(n_->value) : std::string_view(); }
  std::string str() const { return std::string(view()); }
  bool empty() const { return n_ == nullptr; }
  // Same interner: equal strings share a node. Different interners: compare the text.
  friend bool operator==(const InternedString& a, const InternedString& b) {
    return a.n_ == b.n_ || a.view() == b.view();
  }
  friend bool operator==(const InternedString& a, std::string_view b) { return a.view() == b; }
  friend auto operator<=>(const InternedString& a, const InternedString& b) {
    return a.view() <=> b.view();
  }

 private:
  friend class StringInterner;
  struct Node {
    std::atomic<std::uint32_t> refs{0};
    std::string value;
  };
  explicit InternedString(Node* n) : n_(n) {}  // adopts a reference already counted
  void ref() const {
    if (n_) n_->refs.fetch_add(1, std::memory_order_relaxed);
  }
  void unref() const {
    if (n_) n_->refs.fetch_sub(1, std::memory_order_acq_rel);
  }

  Node* n_ = nullptr;
};

class StringInterner {
 public:
  StringInterner() = default;
  ~StringInterner();
  StringInterner(const StringInterner&) = delete;
  StringInterner& operator=(const StringInterner&) = delete;

  // The handle for `s` ("" gives the empty handle, no allocation).
  InternedString intern(std::string_view s);
  // Frees strings no handle refers to; returns how many.
  std::size_t sweep();
  // Strings held (including unreferenced ones awaiting a sweep).
  std::size_t size() const;
  // Approximate heap bytes held by the table and its strings.
  std::size_t bytes() const;

  // The process-wide interner the projections use by default.
  static StringInterner& global();

 private:
  std::size_t sweepLocked();

  mutable std::mutex mu_;
  std::unordered_map<std::string_view, InternedString::Node*> table_;  // views into the nodes
  std::size_t sweepAt_ = 1024;
};

}  // namespace lg::runtime
