#include "operator/runtime/store.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <thread>
#include <vector>

namespace lg::runtime {
namespace {

struct Obj {
  std::string ns;
  std::string name;
  std::map<std::string, std::string> labels;
  std::string owner;
  std::string node;
};

using P = std::shared_ptr<const Obj>;
using Kind = StoreChange<Obj>::Kind;

P make(std::string ns, std::string name, std::map<std::string, std::string> labels = {},
       std::string owner = "", std::string node = "") {
  return std::make_shared<const Obj>(
      Obj{std::move(ns), std::move(name), std::move(labels), std::move(owner), std::move(node)});
}

void addIndexes(Store<Obj>& s) {
  s.addIndex("namespace", [](const Obj& o) { return std::vector<std::string>{o.ns}; });
  s.addIndex("label", [](const Obj& o) {
    std::vector<std::string> out;
    for (const auto& [k, v] : o.labels)
      out.push_back(k + "=" + v);
    return out;
  });
  s.addIndex("owner", [](const Obj& o) {
    return o.owner.empty() ? std::vector<std::string>{} : std::vector<std::string>{o.owner};
  });
  s.addIndex("node", [](const Obj& o) {
    return o.node.empty() ? std::vector<std::string>{} : std::vector<std::string>{o.node};
  });
}

TEST(StoreTest, UpsertGetEraseWithResourceVersions) {
  Store<Obj> s;
  auto c = s.upsert("shop/a", make("shop", "a"), "10");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->kind, Kind::kAdded);
  EXPECT_EQ(c->old, nullptr);
  EXPECT_EQ(s.get("shop/a")->name, "a");
  EXPECT_EQ(s.resourceVersion("shop/a"), "10");
  EXPECT_EQ(s.get("shop/zzz"), nullptr);
  EXPECT_EQ(s.resourceVersion("shop/zzz"), std::nullopt);

  auto u = s.upsert("shop/a", make("shop", "a", {{"v", "2"}}), "11");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->kind, Kind::kUpdated);
  EXPECT_TRUE(u->old->labels.empty());
  EXPECT_EQ(u->cur->labels.at("v"), "2");
  EXPECT_EQ(s.resourceVersion("shop/a"), "11");

  auto d = s.erase("shop/a");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->kind, Kind::kDeleted);
  EXPECT_EQ(d->old->labels.at("v"), "2");
  EXPECT_FALSE(s.erase("shop/a"));
  EXPECT_EQ(s.size(), 0u);
}

TEST(StoreTest, SameResourceVersionIsNotAChange) {
  Store<Obj> s;
  s.upsert("a", make("", "a"), "5");
  EXPECT_FALSE(s.upsert("a", make("", "a"), "5"));
}

TEST(StoreTest, ResourceVersionsRoundTripWhateverTheirForm) {
  Store<Obj> s;
  for (const char* rv : {"12345678901234", "0", "007", "abc", "18446744073709551616", ""}) {
    const std::string key = std::string("k-") + rv;
    s.upsert(key, make("", key), rv);
    EXPECT_EQ(s.resourceVersion(key), rv);
  }
  // "007" and "7" are different versions.
  s.upsert("x", make("", "x"), "7");
  EXPECT_TRUE(s.upsert("x", make("", "x"), "007"));
  EXPECT_FALSE(s.upsert("x", make("", "x"), "007"));
  // Without a version every write is a change.
  EXPECT_TRUE(s.upsert("y", make("", "y"), ""));
  EXPECT_TRUE(s.upsert("y", make("", "y"), ""));
}

TEST(StoreTest, ReadersKeepTheirSnapshot) {
  Store<Obj> s;
  s.upsert("a", make("", "a", {{"gen", "1"}}), "1");
  P held = s.get("a");
  s.upsert("a", make("", "a", {{"gen", "2"}}), "2");
  s.erase("a");
  EXPECT_EQ(held->labels.at("gen"), "1");
}

TEST(StoreTest, IndexesFollowUpdatesAndDeletes) {
  Store<Obj> s;
  addIndexes(s);
  s.upsert("shop/a", make("shop", "a", {{"app", "cart"}, {"tier", "web"}}, "rs-1", "n1"), "1");
  s.upsert("shop/b", make("shop", "b", {{"app", "cart"}}, "rs-1", "n2"), "2");
  s.upsert("ops/c", make("ops", "c", {{"app", "mon"}}, "", "n1"), "3");

  EXPECT_EQ(s.keysByIndex("namespace", "shop"), (std::vector<std::string>{"shop/a", "shop/b"}));
  EXPECT_EQ(s.keysByIndex("label", "app=cart"), (std::vector<std::string>{"shop/a", "shop/b"}));
  EXPECT_EQ(s.keysByIndex("label", "tier=web"), (std::vector<std::string>{"shop/a"}));
  EXPECT_EQ(s.keysByIndex("owner", "rs-1"), (std::vector<std::string>{"shop/a", "shop/b"}));
  EXPECT_EQ(s.keysByIndex("node", "n1"), (std::vector<std::string>{"ops/c", "shop/a"}));
  EXPECT_EQ(s.byIndex("namespace", "ops").size(), 1u);
  EXPECT_TRUE(s.byIndex("namespace", "nope").empty());
  EXPECT_TRUE(s.byIndex("no-such-index", "x").empty());

  // a moves node and loses a label.
  s.upsert("shop/a", make("shop", "a", {{"app", "cart"}}, "rs-1", "n2"), "4");
  EXPECT_EQ(s.keysByIndex("node", "n1"), (std::vector<std::string>{"ops/c"}));
  EXPECT_EQ(s.keysByIndex("node", "n2"), (std::vector<std::string>{"shop/a", "shop/b"}));
  EXPECT_TRUE(s.keysByIndex("label", "tier=web").empty());
  EXPECT_EQ(s.indexValues("label"), (std::vector<std::string>{"app=cart", "app=mon"}));

  s.erase("shop/b");
  EXPECT_EQ(s.keysByIndex("owner", "rs-1"), (std::vector<std::string>{"shop/a"}));
  s.erase("shop/a");
  EXPECT_TRUE(s.keysByIndex("owner", "rs-1").empty());
  EXPECT_EQ(s.indexValues("owner"), std::vector<std::string>{});
  EXPECT_EQ(s.indexValues("namespace"), (std::vector<std::string>{"ops"}));
}

TEST(StoreTest, IndexAddedLaterCoversExistingObjects) {
  Store<Obj> s;
  s.upsert("shop/a", make("shop", "a"), "1");
  s.addIndex("namespace", [](const Obj& o) { return std::vector<std::string>{o.ns}; });
  EXPECT_EQ(s.keysByIndex("namespace", "shop"), (std::vector<std::string>{"shop/a"}));
}

TEST(StoreTest, ReplaceEmitsDeletesUpdatesAndAddsOnly) {
  Store<Obj> s;
  addIndexes(s);
  s.upsert("a", make("", "a"), "1");
  s.upsert("b", make("", "b"), "2");
  s.upsert("c", make("", "c"), "3");

  std::vector<Store<Obj>::Item> fresh;
  fresh.push_back({"a", make("", "a"), "1"});                // unchanged
  fresh.push_back({"b", make("", "b", {{"x", "y"}}), "7"});  // changed
  fresh.push_back({"d", make("", "d"), "8"});                // new
  auto changes = s.replace(std::move(fresh));                // c vanished

  std::map<std::string, Kind> byKey;
  for (const auto& c : changes)
    byKey[c.key] = c.kind;
  EXPECT_EQ(byKey, (std::map<std::string, Kind>{
                       {"b", Kind::kUpdated}, {"c", Kind::kDeleted}, {"d", Kind::kAdded}}));
  EXPECT_EQ(s.keys(), (std::vector<std::string>{"a", "b", "d"}));
  EXPECT_EQ(s.keysByIndex("label", "x=y"), (std::vector<std::string>{"b"}));
  EXPECT_EQ(s.resourceVersion("b"), "7");
}

TEST(StoreTest, AScopedReplaceLeavesOtherNamespacesAlone) {
  Store<Obj> s;
  s.upsert("shop/a", make("shop", "a"), "1");
  s.upsert("shop/b", make("shop", "b"), "2");
  s.upsert("shopping/c", make("shopping", "c"), "3");  // a prefix of "shop/" it is not
  s.upsert("billing/d", make("billing", "d"), "4");

  std::vector<Store<Obj>::Item> fresh;
  fresh.push_back({"shop/a", make("shop", "a"), "1"});
  auto changes = s.replace(std::move(fresh), "shop/");  // shop/b vanished from shop's list

  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].key, "shop/b");
  EXPECT_EQ(changes[0].kind, Kind::kDeleted);
  EXPECT_EQ(s.keys(), (std::vector<std::string>{"billing/d", "shop/a", "shopping/c"}));
}

TEST(StoreTest, ListIsASnapshot) {
  Store<Obj> s;
  for (int i = 0; i < 100; ++i)
    s.upsert("k" + std::to_string(i), make("", "x"), "1");
  auto snap = s.list();
  s.replace({});
  EXPECT_EQ(snap.size(), 100u);
  EXPECT_EQ(s.size(), 0u);
}

TEST(StoreTest, ConcurrentReadersAndWriter) {
  Store<Obj> s;
  addIndexes(s);
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; i < 2000; ++i) {
      const std::string key = "ns/p" + std::to_string(i % 50);
      if (i % 7 == 0) {
        s.erase(key);
      } else {
        s.upsert(key, make("ns", key, {{"i", std::to_string(i % 3)}}), std::to_string(i));
      }
    }
    done = true;
  });
  std::size_t reads = 0;
  while (!done) {
    for (const auto& p : s.byIndex("label", "i=1"))
      EXPECT_EQ(p->labels.at("i"), "1");
    reads += s.list().size();
  }
  writer.join();
  EXPECT_GE(reads, 0u);
}

}  // namespace
}  // namespace lg::runtime
