// The list/watch state machine against the in-memory API, with injected failures. Time moves
// only through the FakeClock; the reflector thread is synchronised through the fake's call log
// and an event recorder (no sleeps).

#include "operator/runtime/reflector.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "operator/runtime/informer.h"
#include "operator/runtime/metrics_registry.h"
#include "operator/runtime/runtime_metrics.h"
#include "tests/fakes/fake_api_client.h"
#include "tests/fakes/fake_clock.h"

namespace lg::runtime {
namespace {

using namespace std::chrono_literals;
using lg::testing::FakeApiClient;
using lg::testing::FakeClock;
using nlohmann::json;

struct Cm {
  std::string ns;
  std::string name;
  std::string value;  // data.value
};

std::optional<Cm> projectCm(const json& obj) {
  Cm c;
  c.ns = obj["metadata"].value("namespace", "");
  c.name = obj["metadata"].value("name", "");
  if (obj.contains("data")) c.value = obj["data"].value("value", "");
  if (c.value == "hidden") return std::nullopt;
  return c;
}

json cm(const std::string& name, const std::string& value, const std::string& ns = "shop") {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", name}, {"namespace", ns}}},
          {"data", {{"value", value}}}};
}

// Spins (bounded real time) until pred holds: for state the reflector thread sets right after
// calling the handlers a test waits on.
bool spinUntil(const std::function<bool()>& pred) {
  const auto end = std::chrono::steady_clock::now() + 10s;
  while (!pred() && std::chrono::steady_clock::now() < end)
    std::this_thread::yield();
  return pred();
}

// Records handler calls as "add ns/a=v", "update ns/a v1->v2", "delete ns/a".
class Recorder {
 public:
  EventHandler<Cm> handler() {
    using P = std::shared_ptr<const Cm>;
    return EventHandler<Cm>{
        .onAdd = [this](const std::string& k, const P& o) { push("add " + k + "=" + o->value); },
        .onUpdate = [this](const std::string& k, const P& o,
                           const P& n) { push("update " + k + " " + o->value + "->" + n->value); },
        .onDelete = [this](const std::string& k, const P&) { push("delete " + k); },
    };
  }
  // Waits (bounded real time) until n events have been recorded, returns them all.
  std::vector<std::string> waitFor(std::size_t n) {
    std::unique_lock g(mu_);
    cv_.wait_for(g, 10s, [&] { return events_.size() >= n; });
    return events_;
  }
  std::vector<std::string> events() {
    std::lock_guard g(mu_);
    return events_;
  }

 private:
  void push(std::string e) {
    {
      std::lock_guard g(mu_);
      events_.push_back(std::move(e));
    }
    cv_.notify_all();
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> events_;
};

class ReflectorTest : public ::testing::Test {
 protected:
  ReflectorOptions options() {
    ReflectorOptions o;
    o.resource = lg::testing::configMapsRef();
    o.pageSize = 3;
    o.backoff = BackoffOptions{.initial = 1s, .max = 8s, .factor = 2.0, .jitter = 0.0};
    o.metrics = &metrics_;
    return o;
  }
  void startInformer(ReflectorOptions o) {
    informer_ = std::make_unique<Informer<Cm>>(api_, clock_, std::move(o), projectCm);
    informer_->addEventHandler(recorder_.handler());
    informer_->start();
  }
  void startInformer() { startInformer(options()); }
  // Breaks the watch and, while the reflector backs off, deletes b, changes c, adds d and
  // compacts the history away; then lets the backoff pass.
  void changeWhileDisconnected() {
    api_.breakWatches();
    ASSERT_TRUE(clock_.blockUntilWaiterWithDeadline(clock_.steadyNow() + 1s));
    api_.erase(lg::testing::configMapsRef(), "shop", "b");
    api_.put(lg::testing::configMapsRef(), cm("c", "2"));
    api_.put(lg::testing::configMapsRef(), cm("d", "1"));
    api_.compact();
    clock_.advance(1s);
  }
  // After changeWhileDisconnected on a, b, c: the re-list's events and the store.
  void expectReplacedByTheRelist() {
    const auto events = recorder_.waitFor(6);
    ASSERT_EQ(events.size(), 6u);
    std::vector<std::string> relist(events.begin() + 3, events.end());
    std::sort(relist.begin(), relist.end());
    EXPECT_EQ(relist,
              (std::vector<std::string>{"add shop/d=1", "delete shop/b", "update shop/c 1->2"}));
    EXPECT_EQ(informer_->store().keys(), (std::vector<std::string>{"shop/a", "shop/c", "shop/d"}));
    EXPECT_EQ(informer_->reflector().relists(), 1u);
  }
  void startStreamingInformer() {
    ReflectorOptions o = options();
    o.streamingList = true;
    startInformer(std::move(o));
  }
  // The n-th (1-based) watch call.
  FakeApiClient::Call watchCall(std::size_t n) {
    EXPECT_TRUE(api_.waitForCalls("watch", n));
    std::size_t seen = 0;
    for (const auto& c : api_.calls())
      if (c.verb == "watch" && ++seen == n) return c;
    return {};
  }
  void TearDown() override {
    if (informer_) informer_->stop();
  }

  FakeApiClient api_;
  FakeClock clock_;
  MetricsRegistry registry_;
  RuntimeMetrics metrics_{registry_};
  Recorder recorder_;
  std::unique_ptr<Informer<Cm>> informer_;
};

TEST_F(ReflectorTest, ListsAllPagesThenWatchesFromTheListResourceVersion) {
  for (int i = 0; i < 7; ++i)
    api_.put(lg::testing::configMapsRef(), cm("c" + std::to_string(i), "v"));
  const std::string listRv = api_.currentResourceVersion();
  startInformer();
  const auto w = watchCall(1);
  EXPECT_EQ(w.resourceVersion, listRv);
  EXPECT_TRUE(informer_->hasSynced());
  EXPECT_EQ(informer_->store().size(), 7u);
  EXPECT_EQ(recorder_.waitFor(7).size(), 7u);
  // Pages of 3: the 2nd and 3rd list calls carry the continue token.
  std::vector<FakeApiClient::Call> lists;
  for (const auto& c : api_.calls())
    if (c.verb == "list") lists.push_back(c);
  ASSERT_EQ(lists.size(), 3u);
  EXPECT_EQ(lists[0].limit, 3);
  EXPECT_TRUE(lists[0].continueToken.empty());
  EXPECT_FALSE(lists[1].continueToken.empty());
  EXPECT_FALSE(lists[2].continueToken.empty());
  EXPECT_EQ(informer_->store().resourceVersion("shop/c0"), "101");
}

TEST_F(ReflectorTest, AppliesWatchEventsToStoreAndHandlers) {
  api_.put(lg::testing::configMapsRef(), cm("a", "1"));
  startInformer();
  ASSERT_TRUE(api_.waitForOpenWatches(1));
  api_.put(lg::testing::configMapsRef(), cm("b", "1"));
  api_.put(lg::testing::configMapsRef(), cm("a", "2"));
  api_.erase(lg::testing::configMapsRef(), "shop", "b");
  const auto events = recorder_.waitFor(4);
  EXPECT_EQ(events, (std::vector<std::string>{"add shop/a=1", "add shop/b=1", "update shop/a 1->2",
                                              "delete shop/b"}));
  EXPECT_EQ(informer_->store().keys(), std::vector<std::string>{"shop/a"});
  EXPECT_EQ(informer_->store().get("shop/a")->value, "2");
  EXPECT_TRUE(spinUntil([&] {
    return informer_->reflector().lastResourceVersion() == api_.currentResourceVersion();
  }));
  // What the scale harness checks: three events applied, one object left in the cache.
  EXPECT_EQ(metrics_.watchEvents.labels({"configmaps"}).value(), 3);
  EXPECT_EQ(metrics_.cacheObjects.labels({"configmaps"}).value(), 1);
}

TEST_F(ReflectorTest, BookmarkAdvancesResourceVersionOnly) {
  startInformer();
  ASSERT_TRUE(api_.waitForOpenWatches(1));
  api_.sendBookmark("5000");
  // Then a clean end: the next watch must resume from the bookmark.
  api_.put(lg::testing::configMapsRef(), cm("a", "1"));
  api_.sendBookmark("6000");
  api_.endWatches();
  EXPECT_EQ(watchCall(2).resourceVersion, "6000");
  EXPECT_EQ(recorder_.events(), std::vector<std::string>{"add shop/a=1"});
  EXPECT_EQ(api_.callCount("list"), 1u);
}

TEST_F(ReflectorTest, CleanEndRewatchesAtOnceFromLastResourceVersion) {
  startInformer();
  ASSERT_TRUE(api_.waitForOpenWatches(1));
  api_.put(lg::testing::configMapsRef(), cm("a", "1"));
  const std::string rv = api_.currentResourceVersion();
  api_.endWatches();
  EXPECT_EQ(watchCall(2).resourceVersion, rv);
  EXPECT_EQ(api_.callCount("list"), 1u);
  EXPECT_EQ(informer_->reflector().watchRestarts(), 1u);
  EXPECT_EQ(metrics_.watchRestarts.labels({"configmaps"}).value(), 1);
  // No backoff on a clean end: nothing waited on the clock.
  EXPECT_EQ(clock_.waiters(), 0u);
}

TEST_F(ReflectorTest, ImmediateEmptyCleanEndBacksOff) {
  startInformer();
  ASSERT_TRUE(api_.waitForOpenWatches(1));
  api_.endWatches();  // no event, no time passed: suspicious, back off
  ASSERT_TRUE(clock_.blockUntilWaiterWithDeadline(clock_.steadyNow() + 1s));
  EXPECT_EQ(api_.callCount("watch"), 1u);
  clock_.advance(1s);
  watchCall(2);
}

TEST_F(ReflectorTest, BrokenStreamResumesAfterBackoffWithoutDuplicates) {
  api_.put(lg::testing::configMapsRef(), cm("a", "1"));
  startInformer();
  ASSERT_TRUE(api_.waitForOpenWatches(1));
  api_.put(lg::testing::configMapsRef(), cm("b", "1"));
  recorder_.waitFor(2);
  const std::string rvBeforeBreak = api_.currentResourceVersion();
  api_.breakWatches();
  // Changes while disconnected.
  ASSERT_TRUE(clock_.blockUntilWaiterWithDeadline(clock_.steadyNow() + 1s));
  api_.put(lg::testing::configMapsRef(), cm("a", "2"));
  api_.erase(lg::testing::configMapsRef(), "shop", "b");
  clock_.advance(1s);
  EXPECT_EQ(watchCall(2).resourceVersion, rvBeforeBreak);
  const auto events = recorder_.waitFor(4);
  EXPECT_EQ(events, (std::vector<std::string>{"add shop/a=1", "add shop/b=1", "update shop/a 1->2",
                                              "delete shop/b"}));
  EXPECT_EQ(api_.callCount("list"), 1u);
}

TEST_F(ReflectorTest, ReplayedEventsWithTheSameResourceVersionAreDropped) {
  startInformer();
  ASSERT_TRUE(api_.waitForOpenWatches(1));
  const json stored = api_.put(lg::testing::configMapsRef(), cm("a", "1"));
  recorder_.waitFor(1);
  api_.injectEvent({kube::WatchEvent::Type::kModified, stored});
  api_.injectEvent({kube::WatchEvent::Type::kAdded, stored});
  api_.put(lg::testing::configMapsRef(), cm("z", "1"));  // a marker after the duplicates
  const auto events = recorder_.waitFor(2);
  EXPECT_EQ(events, (std::vector<std::string>{"add shop/a=1", "add shop/z=1"}));
}

TEST_F(ReflectorTest, GoneOnRewatchRelistsAndReplacesTheStore) {
  for (const char* n : {"a", "b", "c"})
    api_.put(lg::testing::configMapsRef(), cm(n, "1"));
  startInformer();
  ASSERT_TRUE(api_.waitForOpenWatches(1));
  recorder_.waitFor(3);
  changeWhileDisconnected();
  ASSERT_TRUE(api_.waitForCalls("watch", 3));  // failed (410) re-watch, then after relist
  expectReplacedByTheRelist();
  EXPECT_EQ(api_.callCount("list"), 2u);
  EXPECT_EQ(watchCall(3).resourceVersion, api_.currentResourceVersion());
}

// A streaming list: one watch with sendInitialEvents and a consistent read, no LIST; its
// initial events fill the store without counting as watch events, and the same stream goes on.
TEST_F(ReflectorTest, StreamingListFillsTheStoreAndTheSameStreamWatches) {
  for (const char* n : {"a", "b"})
    api_.put(lg::testing::configMapsRef(), cm(n, "1"));
  const std::string listRv = api_.currentResourceVersion();
  startStreamingInformer();
  ASSERT_TRUE(informer_->waitForSync(10s));
  EXPECT_EQ(informer_->store().keys(), (std::vector<std::string>{"shop/a", "shop/b"}));
  const auto w = watchCall(1);
  EXPECT_TRUE(w.sendInitialEvents);
  EXPECT_EQ(w.resourceVersion, "");
  EXPECT_EQ(informer_->reflector().lastResourceVersion(), listRv);
  api_.put(lg::testing::configMapsRef(), cm("a", "2"));
  EXPECT_EQ(recorder_.waitFor(3),
            (std::vector<std::string>{"add shop/a=1", "add shop/b=1", "update shop/a 1->2"}));
  EXPECT_EQ(api_.callCount("list"), 0u);
  EXPECT_EQ(api_.callCount("watch"), 1u);
  // Counted right after the handlers ran; the two initial events never are.
  EXPECT_TRUE(spinUntil([&] { return metrics_.watchEvents.labels({"configmaps"}).value() == 1; }));
  EXPECT_EQ(metrics_.watchEvents.labels({"configmaps"}).value(), 1);
  EXPECT_EQ(informer_->reflector().watchRestarts(), 0u);
}

// A 410 later lists again by streaming, and the store is replaced as after a paged re-list:
// what changed while disconnected comes as one add, one update and one delete.
TEST_F(ReflectorTest, StreamingListAgainAfterGone) {
  for (const char* n : {"a", "b", "c"})
    api_.put(lg::testing::configMapsRef(), cm(n, "1"));
  startStreamingInformer();
  ASSERT_TRUE(informer_->waitForSync(10s));
  recorder_.waitFor(3);
  changeWhileDisconnected();
  // The failed (410) re-watch from the old resume point, then a streaming list again.
  EXPECT_TRUE(watchCall(3).sendInitialEvents);
  expectReplacedByTheRelist();
  EXPECT_EQ(api_.callCount("list"), 0u);
  EXPECT_TRUE(spinUntil([&] {
    return informer_->reflector().lastResourceVersion() == api_.currentResourceVersion();
  }));
}

// A streaming re-list refused (the server changed): one relist and one restart counted, not two.
TEST_F(ReflectorTest, StreamingRelistRefusedCountsOnce) {
  api_.put(lg::testing::configMapsRef(), cm("a", "1"));
  startStreamingInformer();
  ASSERT_TRUE(informer_->waitForSync(10s));
  recorder_.waitFor(1);
  api_.refuseStreamingLists();
  api_.put(lg::testing::configMapsRef(), cm("a", "2"));  // an event: the 410 is not backed off
  recorder_.waitFor(2);
  api_.sendWatchError(410);
  ASSERT_TRUE(api_.waitForCalls("list", 1));
  EXPECT_FALSE(watchCall(3).sendInitialEvents);
  EXPECT_EQ(informer_->reflector().relists(), 1u);
  EXPECT_EQ(informer_->reflector().watchRestarts(), 1u);
  EXPECT_EQ(metrics_.watchRelists.labels({"configmaps"}).value(), 1);
  EXPECT_EQ(clock_.waiters(), 0u);
}

// A server without the WatchList feature (422): listed in pages, then watched as before, and
// the refusal is neither a relist nor a restart.
TEST_F(ReflectorTest, RefusedStreamingListFallsBackToPages) {
  api_.refuseStreamingLists();
  for (const char* n : {"a", "b", "c", "d"})
    api_.put(lg::testing::configMapsRef(), cm(n, "1"));
  const std::string listRv = api_.currentResourceVersion();
  startStreamingInformer();
  ASSERT_TRUE(informer_->waitForSync(10s));
  EXPECT_EQ(informer_->store().size(), 4u);
  EXPECT_EQ(api_.callCount("list"), 2u);  // pages of 3
  const auto w = watchCall(2);
  EXPECT_FALSE(w.sendInitialEvents);
  EXPECT_EQ(w.resourceVersion, listRv);
  EXPECT_EQ(informer_->reflector().relists(), 0u);
  EXPECT_EQ(informer_->reflector().watchRestarts(), 0u);
  EXPECT_EQ(clock_.waiters(), 0u);
  // Never asked again: a 410 (after an event: no backoff) re-lists in pages.
  api_.put(lg::testing::configMapsRef(), cm("e", "1"));
  recorder_.waitFor(5);
  api_.sendWatchError(410);
  ASSERT_TRUE(api_.waitForCalls("list", 4));
  EXPECT_FALSE(watchCall(3).sendInitialEvents);
}

TEST_F(ReflectorTest, GoneErrorEventRelists) {
  api_.put(lg::testing::configMapsRef(), cm("a", "1"));
  startInformer();
  ASSERT_TRUE(api_.waitForOpenWatches(1));
  recorder_.waitFor(1);
  api_.put(lg::testing::configMapsRef(), cm("a", "2"));
  recorder_.waitFor(2);
  api_.sendWatchError(410);
  ASSERT_TRUE(api_.waitForCalls("list", 2));
  watchCall(2);
  // The relist found nothing new: no duplicate add, no spurious update.
  EXPECT_EQ(recorder_.events(), (std::vector<std::string>{"add shop/a=1", "update shop/a 1->2"}));
  EXPECT_EQ(informer_->reflector().relists(), 1u);
  // No backoff for 410: nobody waited on the clock.
  EXPECT_EQ(clock_.waiters(), 0u);
}

TEST_F(ReflectorTest, GoneRightAfterEveryListBacksOffBetweenRelists) {
  api_.put(lg::testing::configMapsRef(), cm("a", "1"));
  api_.fail("watch", Error{"too old resource version", 410}, 2);
  startInformer();
  ASSERT_TRUE(clock_.blockUntilWaiterWithDeadline(clock_.steadyNow() + 1s));
  EXPECT_EQ(api_.callCount("list"), 1u);
  clock_.advance(1s);
  ASSERT_TRUE(clock_.blockUntilWaiterWithDeadline(clock_.steadyNow() + 2s));
  EXPECT_EQ(api_.callCount("list"), 2u);
  clock_.advance(2s);
  ASSERT_TRUE(api_.waitForOpenWatches(1));
  EXPECT_EQ(api_.callCount("list"), 3u);
  EXPECT_EQ(api_.callCount("watch"), 3u);
  // Re-lists found nothing new: one add.
  EXPECT_EQ(recorder_.events(), std::vector<std::string>{"add shop/a=1"});
}

TEST_F(ReflectorTest, OtherErrorEventBacksOffAndResumes) {
  startInformer();
  ASSERT_TRUE(api_.waitForOpenWatches(1));
  api_.put(lg::testing::configMapsRef(), cm("a", "1"));
  recorder_.waitFor(1);
  const std::string rv = api_.currentResourceVersion();
  api_.sendWatchError(500, "InternalError");
  ASSERT_TRUE(clock_.blockUntilWaiterWithDeadline(clock_.steadyNow() + 1s));
  clock_.advance(1s);
  EXPECT_EQ(watchCall(2).resourceVersion, rv);
  EXPECT_EQ(api_.callCount("list"), 1u);
}

TEST_F(ReflectorTest, ListErrorsBackOffExponentiallyUntilSuccess) {
  api_.put(lg::testing::configMapsRef(), cm("a", "1"));
  api_.fail("list", Error{"etcd unavailable", 503}, 3);
  startInformer();
  ASSERT_TRUE(clock_.blockUntilWaiterWithDeadline(clock_.steadyNow() + 1s));
  EXPECT_FALSE(informer_->hasSynced());
  clock_.advance(1s);
  ASSERT_TRUE(clock_.blockUntilWaiterWithDeadline(clock_.steadyNow() + 2s));
  clock_.advance(2s);
  ASSERT_TRUE(clock_.blockUntilWaiterWithDeadline(clock_.steadyNow() + 4s));
  EXPECT_FALSE(informer_->hasSynced());
  clock_.advance(4s);
  watchCall(1);
  EXPECT_TRUE(informer_->hasSynced());
  EXPECT_EQ(api_.callCount("list"), 4u);
  EXPECT_EQ(recorder_.waitFor(1), std::vector<std::string>{"add shop/a=1"});
}

TEST_F(ReflectorTest, WatchOpenErrorBacksOffAndKeepsTheResumePoint) {
  startInformer();
  ASSERT_TRUE(api_.waitForOpenWatches(1));
  api_.put(lg::testing::configMapsRef(), cm("a", "1"));
  recorder_.waitFor(1);
  const std::string rv = api_.currentResourceVersion();
  api_.fail("watch", Error{"connection refused", 0}, 2);
  api_.breakWatches();
  ASSERT_TRUE(clock_.blockUntilWaiterWithDeadline(clock_.steadyNow() + 1s));
  clock_.advance(1s);  // -> watch #2 fails
  ASSERT_TRUE(clock_.blockUntilWaiterWithDeadline(clock_.steadyNow() + 2s));
  clock_.advance(2s);  // -> watch #3 fails
  ASSERT_TRUE(clock_.blockUntilWaiterWithDeadline(clock_.steadyNow() + 4s));
  clock_.advance(4s);  // -> watch #4 opens
  EXPECT_EQ(watchCall(4).resourceVersion, rv);
  ASSERT_TRUE(api_.waitForOpenWatches(1));
  EXPECT_EQ(api_.callCount("list"), 1u);
  EXPECT_EQ(informer_->reflector().watchRestarts(), 3u);
}

TEST_F(ReflectorTest, ExpiredContinueTokenRestartsTheList) {
  for (int i = 0; i < 7; ++i)
    api_.put(lg::testing::configMapsRef(), cm("c" + std::to_string(i), "v"));
  api_.fail("list", Error{"continue token expired", 410}, 1,
            [](const FakeApiClient::Call& c) { return !c.continueToken.empty(); });
  startInformer();
  watchCall(1);
  EXPECT_EQ(informer_->store().size(), 7u);
  // 1st page, failed 2nd, then 3 pages.
  EXPECT_EQ(api_.callCount("list"), 5u);
  // The aborted partial list produced no events: exactly one add per object.
  EXPECT_EQ(recorder_.waitFor(7).size(), 7u);
}

TEST_F(ReflectorTest, ProjectorFilterRemovesObjectsThatStopMatching) {
  api_.put(lg::testing::configMapsRef(), cm("a", "1"));
  api_.put(lg::testing::configMapsRef(), cm("h", "hidden"));
  startInformer();
  ASSERT_TRUE(api_.waitForOpenWatches(1));
  EXPECT_EQ(informer_->store().keys(), std::vector<std::string>{"shop/a"});
  api_.put(lg::testing::configMapsRef(), cm("a", "hidden"));
  EXPECT_EQ(recorder_.waitFor(2), (std::vector<std::string>{"add shop/a=1", "delete shop/a"}));
  EXPECT_EQ(informer_->store().size(), 0u);
}

TEST_F(ReflectorTest, StopCancelsABlockedWatch) {
  startInformer();
  ASSERT_TRUE(api_.waitForOpenWatches(1));
  informer_->stop();  // returns only once the reflector thread has ended
  EXPECT_EQ(api_.openWatches(), 0u);
}

TEST_F(ReflectorTest, StopWakesABackoffWait) {
  api_.fail("list", Error{"down", 503}, 100);
  startInformer();
  ASSERT_TRUE(clock_.blockUntilWaiters(1));
  informer_->stop();
  EXPECT_FALSE(informer_->hasSynced());
}

TEST_F(ReflectorTest, WaitForSyncReturnsOnceListed) {
  api_.put(lg::testing::configMapsRef(), cm("a", "1"));
  startInformer();
  EXPECT_TRUE(informer_->waitForSync(1h));
}

TEST_F(ReflectorTest, WatchOptionsCarryTimeoutsAndSelectors) {
  ReflectorOptions o = options();
  o.labelSelector = "app=cart";
  o.watchTimeoutSeconds = 120;
  api_.put(lg::testing::configMapsRef(), cm("a", "1"));
  json other = cm("b", "1");
  other["metadata"]["labels"] = {{"app", "cart"}};
  api_.put(lg::testing::configMapsRef(), other);
  startInformer(o);
  const auto w = watchCall(1);
  EXPECT_EQ(w.labelSelector, "app=cart");
  EXPECT_EQ(w.timeoutSeconds, 120);
  EXPECT_TRUE(w.allowBookmarks);
  EXPECT_EQ(informer_->store().keys(), std::vector<std::string>{"shop/b"});
}

// Scoped to two namespaces: one reflector each, nothing of a third namespace is listed,
// watched or stored, and a 410 that makes both re-list drops neither's objects.
TEST_F(ReflectorTest, ScopedToNamespacesListsAndWatchesOnlyThose) {
  api_.put(lg::testing::configMapsRef(), cm("a", "1", "shop"));
  api_.put(lg::testing::configMapsRef(), cm("b", "1", "billing"));
  api_.put(lg::testing::configMapsRef(), cm("c", "1", "other"));
  informer_ = std::make_unique<Informer<Cm>>(api_, clock_, options(), projectCm,
                                             std::vector<std::string>{"shop", "billing", "shop"});
  informer_->addEventHandler(recorder_.handler());
  EXPECT_EQ(informer_->reflectorCount(), 2u);
  informer_->start();
  ASSERT_TRUE(api_.waitForOpenWatches(2));
  EXPECT_TRUE(informer_->hasSynced());
  EXPECT_EQ(informer_->store().keys(), (std::vector<std::string>{"billing/b", "shop/a"}));
  for (const auto& c : api_.calls()) {
    if (c.verb != "list" && c.verb != "watch") continue;
    EXPECT_TRUE(c.path.find("/namespaces/shop/") != std::string::npos ||
                c.path.find("/namespaces/billing/") != std::string::npos)
        << c.verb << " " << c.path;
  }

  api_.put(lg::testing::configMapsRef(), cm("c", "2", "other"));
  api_.put(lg::testing::configMapsRef(), cm("b", "2", "billing"));
  api_.put(lg::testing::configMapsRef(), cm("a", "2", "shop"));
  const auto events = recorder_.waitFor(4);
  ASSERT_EQ(events.size(), 4u);
  // Each namespace in its own order; the two reflectors' events interleave either way.
  EXPECT_EQ(std::set<std::string>(events.begin() + 2, events.end()),
            (std::set<std::string>{"update billing/b 1->2", "update shop/a 1->2"}));

  api_.sendWatchError(410);  // both re-list at once (their watches had delivered events)
  ASSERT_TRUE(api_.waitForCalls("list", 4));
  ASSERT_TRUE(api_.waitForCalls("watch", 4));
  EXPECT_EQ(informer_->store().keys(), (std::vector<std::string>{"billing/b", "shop/a"}));
  // Each re-list replaced its own namespace only: nothing deleted, nothing new.
  EXPECT_EQ(recorder_.waitFor(4).size(), 4u);
}

}  // namespace
}  // namespace lg::runtime
