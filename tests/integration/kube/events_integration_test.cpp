// EventRecorder writing events.k8s.io/v1 Events to the real API server, which validates them.

#include "operator/kube/events.h"
#include "tests/integration/kube/cluster_fixture.h"

namespace lg::kube::integration {
namespace {

using ::testing::StartsWith;

class EventsIntegrationTest : public ClusterTest {
 protected:
  ResourceRef events(const std::string& name = "") const {
    return ResourceRef{.group = "events.k8s.io",
                       .version = "v1",
                       .resource = "events",
                       .ns = ns,
                       .name = name,
                       .subresource = ""};
  }
};

TEST_F(EventsIntegrationTest, CreatesAnEventAndCountsRepeatsAsASeries) {
  auto cmObj = api->create(
      core("configmaps", ns),
      {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", "target"}}}});
  ASSERT_TRUE(cmObj.ok()) << cmObj.error().message;
  const ObjectReference ref{.apiVersion = "v1",
                            .kind = "ConfigMap",
                            .ns = ns,
                            .name = "target",
                            .uid = (*cmObj)["metadata"]["uid"].get<std::string>(),
                            .fieldPath = ""};
  EventRecorderOptions o;
  o.reportingInstance = "lg-integration-test";
  EventRecorder recorder(*api, o);
  auto first = recorder.record(ref, EventType::kWarning, "LeakSuspected", "Detect",
                               "working set grows 3.1Mi/h");
  ASSERT_TRUE(first.ok()) << first.error().message;

  auto listed = api->list(events(), {});
  ASSERT_TRUE(listed.ok()) << listed.error().message;
  ASSERT_EQ(listed->items.size(), 1u) << listed->items.dump();
  const nlohmann::json e = listed->items[0];
  EXPECT_THAT(e["metadata"]["name"].get<std::string>(), StartsWith("target."));
  EXPECT_EQ(e["reason"], "LeakSuspected");
  EXPECT_EQ(e["action"], "Detect");
  EXPECT_EQ(e["type"], "Warning");
  EXPECT_EQ(e["note"], "working set grows 3.1Mi/h");
  EXPECT_EQ(e["reportingController"], "leakguard.io/controller");
  EXPECT_EQ(e["reportingInstance"], "lg-integration-test");
  EXPECT_EQ(e["regarding"]["uid"], ref.uid);
  EXPECT_FALSE(e.contains("series"));

  ASSERT_TRUE(
      recorder
          .record(ref, EventType::kWarning, "LeakSuspected", "Detect", "working set grows 3.2Mi/h")
          .ok());
  ASSERT_TRUE(
      recorder
          .record(ref, EventType::kWarning, "LeakSuspected", "Detect", "working set grows 3.3Mi/h")
          .ok());
  ASSERT_TRUE(recorder.flush().ok());
  auto after = api->get(events(e["metadata"]["name"].get<std::string>()));
  ASSERT_TRUE(after.ok()) << after.error().message;
  EXPECT_EQ((*after)["series"]["count"], 3) << after->dump();
  auto all = api->list(events(), {});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->items.size(), 1u);  // repeats joined the series, no new objects

  ASSERT_TRUE(recorder.record(ref, EventType::kNormal, "Restarted", "Restart", "rolled").ok());
  EXPECT_EQ(api->list(events(), {})->items.size(), 2u);
}

}  // namespace
}  // namespace lg::kube::integration
