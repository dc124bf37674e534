// Informer<T> as a ReflectorSink, driven directly (no reflector thread): projection, dedup by
// resourceVersion, relist replacement and handler dispatch.

#include "operator/runtime/informer.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "tests/fakes/fake_api_client.h"
#include "tests/fakes/fake_clock.h"

namespace lg::runtime {
namespace {

using lg::testing::FakeApiClient;
using lg::testing::FakeClock;
using nlohmann::json;
using Type = kube::WatchEvent::Type;

struct Named {
  std::string name;
  int gen = 0;
};

json obj(const std::string& name, const std::string& rv, int gen = 0) {
  return {{"metadata", {{"name", name}, {"namespace", "ns"}, {"resourceVersion", rv}}},
          {"gen", gen}};
}

class InformerTest : public ::testing::Test {
 protected:
  InformerTest() {
    ReflectorOptions o;
    o.resource = lg::testing::configMapsRef();
    informer_ = std::make_unique<Informer<Named>>(
        api_, clock_, o, [](const json& j) -> std::optional<Named> {
          if (j.value("skip", false)) return std::nullopt;
          return Named{j["metadata"]["name"].get<std::string>(), j.value("gen", 0)};
        });
    using P = std::shared_ptr<const Named>;
    informer_->addEventHandler(EventHandler<Named>{
        .onAdd = [this](const std::string& k,
                        const P& n) { log_.push_back("add " + k + " " + std::to_string(n->gen)); },
        .onUpdate =
            [this](const std::string& k, const P& o, const P& n) {
              log_.push_back("update " + k + " " + std::to_string(o->gen) + "->" +
                             std::to_string(n->gen));
            },
        .onDelete =
            [this](const std::string& k, const P& o) {
              log_.push_back("delete " + k + " " + std::to_string(o->gen));
            },
    });
  }
  void list(const std::vector<json>& items, bool complete = true) {
    informer_->beginList();
    for (const auto& i : items)
      informer_->listed(i);
    informer_->endList(complete);
  }

  FakeApiClient api_;
  FakeClock clock_;
  std::unique_ptr<Informer<Named>> informer_;
  std::vector<std::string> log_;
};

TEST_F(InformerTest, ListAddsEveryObjectOnce) {
  list({obj("a", "1"), obj("b", "2")});
  EXPECT_EQ(log_, (std::vector<std::string>{"add ns/a 0", "add ns/b 0"}));
  EXPECT_EQ(informer_->store().size(), 2u);
}

TEST_F(InformerTest, IncompleteListChangesNothing) {
  list({obj("a", "1")});
  log_.clear();
  list({obj("b", "2")}, /*complete=*/false);
  EXPECT_TRUE(log_.empty());
  EXPECT_EQ(informer_->store().keys(), std::vector<std::string>{"ns/a"});
}

TEST_F(InformerTest, WatchEventsDispatchWithOldAndNew) {
  list({});
  informer_->watched(Type::kAdded, obj("a", "1", 1));
  informer_->watched(Type::kModified, obj("a", "2", 2));
  informer_->watched(Type::kDeleted, obj("a", "3", 2));
  EXPECT_EQ(log_, (std::vector<std::string>{"add ns/a 1", "update ns/a 1->2", "delete ns/a 2"}));
}

TEST_F(InformerTest, SameResourceVersionIsProcessedOnce) {
  list({obj("a", "1", 1)});
  informer_->watched(Type::kAdded, obj("a", "1", 1));
  informer_->watched(Type::kModified, obj("a", "1", 1));
  EXPECT_EQ(log_, std::vector<std::string>{"add ns/a 1"});
}

TEST_F(InformerTest, AddForAKnownObjectIsAnUpdateNotADuplicateAdd) {
  list({obj("a", "1", 1)});
  informer_->watched(Type::kAdded, obj("a", "5", 2));
  EXPECT_EQ(log_, (std::vector<std::string>{"add ns/a 1", "update ns/a 1->2"}));
}

TEST_F(InformerTest, DeleteOfUnknownObjectIsIgnored) {
  list({});
  informer_->watched(Type::kDeleted, obj("ghost", "9"));
  EXPECT_TRUE(log_.empty());
}

TEST_F(InformerTest, RelistEmitsDeletesAndUpdatesButNoDuplicateAdds) {
  list({obj("a", "1", 1), obj("b", "2", 1), obj("c", "3", 1)});
  log_.clear();
  list({obj("a", "1", 1), obj("c", "7", 2), obj("d", "8", 1)});
  std::sort(log_.begin(), log_.end());
  EXPECT_EQ(log_, (std::vector<std::string>{"add ns/d 1", "delete ns/b 1", "update ns/c 1->2"}));
}

TEST_F(InformerTest, ProjectorNulloptFiltersAndRemoves) {
  json skipped = obj("s", "1");
  skipped["skip"] = true;
  list({obj("a", "1"), skipped});
  EXPECT_EQ(informer_->store().keys(), std::vector<std::string>{"ns/a"});
  json nowSkipped = obj("a", "2");
  nowSkipped["skip"] = true;
  informer_->watched(Type::kModified, nowSkipped);
  EXPECT_EQ(log_, (std::vector<std::string>{"add ns/a 0", "delete ns/a 0"}));
}

TEST_F(InformerTest, ThrowingProjectorSkipsTheObject) {
  list({});
  json bad = {{"metadata", {{"name", "x"}, {"namespace", "ns"}, {"resourceVersion", "1"}}},
              {"gen", "not-a-number"}};
  informer_->watched(Type::kAdded, bad);  // j.value("gen", 0) throws type_error
  EXPECT_TRUE(log_.empty());
  EXPECT_EQ(informer_->store().size(), 0u);
}

TEST_F(InformerTest, AThrowingHandlerDoesNotStopTheOthers) {
  informer_->addEventHandler(
      EventHandler<Named>{.onAdd = [](const std::string&, const std::shared_ptr<const Named>&) {
        throw std::runtime_error("handler bug");
      }});
  std::vector<std::string> after;
  informer_->addEventHandler(
      EventHandler<Named>{.onAdd = [&](const std::string& k, const std::shared_ptr<const Named>&) {
        after.push_back(k);
      }});
  list({obj("a", "1")});
  EXPECT_EQ(log_, std::vector<std::string>{"add ns/a 0"});
  EXPECT_EQ(after, std::vector<std::string>{"ns/a"});
  EXPECT_EQ(informer_->store().size(), 1u);
}

TEST_F(InformerTest, ObjectsWithoutNameAreIgnored) {
  list({json{{"metadata", json::object()}}});
  EXPECT_TRUE(log_.empty());
}

TEST_F(InformerTest, EnqueueHelpersFeedAWorkQueue) {
  WorkQueue own(clock_);
  WorkQueue mapped(clock_);
  informer_->addEventHandler(enqueueOwnKey<Named>(own));
  informer_->addEventHandler(enqueueMapped<Named>(mapped, [](const Named& n) {
    return std::vector<std::string>{"policy-for-" + std::to_string(n.gen)};
  }));
  list({});
  informer_->watched(Type::kAdded, obj("a", "1", 1));
  informer_->watched(Type::kModified, obj("a", "2", 2));
  EXPECT_EQ(own.len(), 1u);
  EXPECT_EQ(own.get(), "ns/a");
  // The update maps both the old (gen 1) and the new (gen 2) object.
  EXPECT_EQ(mapped.len(), 2u);
  EXPECT_EQ(mapped.get(), "policy-for-1");
  EXPECT_EQ(mapped.get(), "policy-for-2");
}

}  // namespace
}  // namespace lg::runtime
