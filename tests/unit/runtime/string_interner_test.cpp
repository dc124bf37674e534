#include "operator/runtime/string_interner.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace lg::runtime {
namespace {

TEST(StringInternerTest, EqualStringsShareOneCopy) {
  StringInterner in;
  InternedString a = in.intern("shop");
  InternedString b = in.intern(std::string("sh") + "op");
  InternedString c = in.intern("ops");
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.view().data(), b.view().data());
  EXPECT_FALSE(a == c);
  EXPECT_EQ(a, std::string_view("shop"));
  EXPECT_EQ(in.size(), 2u);
  EXPECT_EQ(sizeof(InternedString), sizeof(void*));
}

TEST(StringInternerTest, EmptyStringNeedsNoEntry) {
  StringInterner in;
  InternedString e = in.intern("");
  EXPECT_TRUE(e.empty());
  EXPECT_EQ(e.view(), "");
  EXPECT_EQ(in.size(), 0u);
  EXPECT_EQ(InternedString(), e);
}

TEST(StringInternerTest, SweepFreesUnreferencedStrings) {
  StringInterner in;
  {
    InternedString a = in.intern("pod-template-hash=7d9f8b6c5");
    InternedString copy = a;
    InternedString moved = std::move(copy);
    EXPECT_EQ(in.sweep(), 0u);
  }
  InternedString kept = in.intern("app=cart");
  EXPECT_EQ(in.size(), 2u);
  EXPECT_EQ(in.sweep(), 1u);
  EXPECT_EQ(in.size(), 1u);
  EXPECT_EQ(kept.view(), "app=cart");
  // Interning it again after the sweep makes a fresh entry.
  EXPECT_EQ(in.intern("pod-template-hash=7d9f8b6c5").view(), "pod-template-hash=7d9f8b6c5");
}

TEST(StringInternerTest, ChurnDoesNotGrowWithoutBound) {
  StringInterner in;
  InternedString live = in.intern("stays");
  for (int i = 0; i < 100000; ++i) {
    InternedString tmp = in.intern("hash-" + std::to_string(i));
  }
  // Amortised sweeps keep the table within a small multiple of what is referenced.
  EXPECT_LE(in.size(), 2048u);
  EXPECT_EQ(live.view(), "stays");
}

TEST(StringInternerTest, AssignmentKeepsCountsRight) {
  StringInterner in;
  InternedString a = in.intern("a");
  InternedString b = in.intern("b");
  a = b;                     // "a" unreferenced now
  InternedString& same = b;  // through a reference: a compiler warns on a plain `b = b`
  b = same;                  // self-assignment
  a = std::move(b);
  EXPECT_EQ(a.view(), "b");
  EXPECT_EQ(in.sweep(), 1u);
  EXPECT_EQ(in.size(), 1u);
}

TEST(StringInternerTest, ConcurrentInternCopyAndSweep) {
  StringInterner in;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&in, t] {
      std::vector<InternedString> held;
      for (int i = 0; i < 20000; ++i) {
        InternedString s = in.intern("v" + std::to_string(i % 300));
        if (i % 3 == t % 3) held.push_back(s);
        if (held.size() > 100) held.erase(held.begin(), held.begin() + 50);
        if (i % 1000 == 0) in.sweep();
        ASSERT_EQ(s.view(), "v" + std::to_string(i % 300));
      }
    });
  }
  for (auto& t : threads)
    t.join();
  in.sweep();
  EXPECT_EQ(in.size(), 0u);
}

}  // namespace
}  // namespace lg::runtime
