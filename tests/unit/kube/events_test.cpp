#include "operator/kube/events.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/fakes/fake_clock.h"
#include "tests/fakes/kube/recording_api_client.h"

namespace lg::kube {
namespace {

using namespace std::chrono_literals;
using ::testing::StartsWith;

const ObjectReference kPod{.apiVersion = "v1",
                           .kind = "Pod",
                           .ns = "shop",
                           .name = "checkout-1",
                           .uid = "u-1",
                           .fieldPath = ""};

class EventRecorderTest : public ::testing::Test {
 protected:
  testing::RecordingApiClient api;
  lg::testing::FakeClock clock;
  EventRecorder recorder{api, [this] {
                           EventRecorderOptions o;
                           o.reportingInstance = "leakguard-7d9f";
                           o.clock = &clock;
                           o.seriesWindow = 360s;
                           o.patchInterval = 30s;
                           return o;
                         }()};

  Status leak() {
    return recorder.record(kPod, EventType::kWarning, "LeakDetected", "Detect",
                           "memory grows 3.1Mi/h; exhausts the limit in 4h");
  }
};

TEST_F(EventRecorderTest, FirstOccurrenceCreatesAnEventsV1Event) {
  ASSERT_TRUE(leak().ok());
  auto calls = api.calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].verb, "create");
  EXPECT_EQ(calls[0].path, "/apis/events.k8s.io/v1/namespaces/shop/events");
  const nlohmann::json& e = calls[0].body;
  EXPECT_EQ(e["apiVersion"], "events.k8s.io/v1");
  EXPECT_EQ(e["kind"], "Event");
  EXPECT_THAT(e["metadata"]["name"].get<std::string>(), StartsWith("checkout-1."));
  EXPECT_EQ(e["metadata"]["namespace"], "shop");
  EXPECT_EQ(e["eventTime"], "2026-01-01T00:00:00.000000Z");
  EXPECT_EQ(e["reportingController"], "leakguard.io/controller");
  EXPECT_EQ(e["reportingInstance"], "leakguard-7d9f");
  EXPECT_EQ(e["type"], "Warning");
  EXPECT_EQ(e["reason"], "LeakDetected");
  EXPECT_EQ(e["action"], "Detect");
  EXPECT_EQ(e["note"], "memory grows 3.1Mi/h; exhausts the limit in 4h");
  EXPECT_EQ(e["regarding"], (nlohmann::json{{"apiVersion", "v1"},
                                            {"kind", "Pod"},
                                            {"namespace", "shop"},
                                            {"name", "checkout-1"},
                                            {"uid", "u-1"}}));
  EXPECT_FALSE(e.contains("series"));
}

TEST_F(EventRecorderTest, RepeatsBecomeASeries) {
  ASSERT_TRUE(leak().ok());
  const std::string name = api.calls()[0].body["metadata"]["name"];
  clock.advance(5s);
  ASSERT_TRUE(leak().ok());  // first repeat: written at once
  auto calls = api.calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[1].verb, "patch");
  EXPECT_EQ(calls[1].patchType, PatchType::kMerge);
  EXPECT_EQ(calls[1].path, "/apis/events.k8s.io/v1/namespaces/shop/events/" + name);
  EXPECT_EQ(calls[1].body["series"]["count"], 2);
  EXPECT_EQ(calls[1].body["series"]["lastObservedTime"], "2026-01-01T00:00:05.000000Z");

  clock.advance(5s);
  ASSERT_TRUE(leak().ok());  // within patchInterval: counted, not written
  clock.advance(5s);
  ASSERT_TRUE(leak().ok());
  EXPECT_EQ(api.calls().size(), 2u);
  ASSERT_TRUE(recorder.flush().ok());
  calls = api.calls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[2].body["series"]["count"], 4);
  EXPECT_EQ(calls[2].body["series"]["lastObservedTime"], "2026-01-01T00:00:15.000000Z");
  ASSERT_TRUE(recorder.flush().ok());
  EXPECT_EQ(api.calls().size(), 3u);  // nothing new

  clock.advance(31s);
  ASSERT_TRUE(leak().ok());  // patchInterval passed: written at once
  calls = api.calls();
  ASSERT_EQ(calls.size(), 4u);
  EXPECT_EQ(calls[3].body["series"]["count"], 5);
}

TEST_F(EventRecorderTest, AfterTheWindowANewEventStarts) {
  ASSERT_TRUE(leak().ok());
  clock.advance(361s);
  ASSERT_TRUE(leak().ok());
  auto calls = api.calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[1].verb, "create");
  EXPECT_NE(calls[0].body["metadata"]["name"], calls[1].body["metadata"]["name"]);
}

TEST_F(EventRecorderTest, DifferentReasonTypeOrObjectAreDifferentEvents) {
  ASSERT_TRUE(leak().ok());
  ASSERT_TRUE(recorder.record(kPod, EventType::kNormal, "LeakDetected", "Detect", "x").ok());
  ASSERT_TRUE(recorder.record(kPod, EventType::kWarning, "Restarted", "Restart", "x").ok());
  ObjectReference other = kPod;
  other.name = "checkout-2";
  ASSERT_TRUE(recorder.record(other, EventType::kWarning, "LeakDetected", "Detect", "x").ok());
  for (const auto& c : api.calls())
    EXPECT_EQ(c.verb, "create");
  EXPECT_EQ(api.calls().size(), 4u);
  EXPECT_EQ(recorder.tracked(), 4u);
}

TEST_F(EventRecorderTest, ClusterScopedObjectsGoToDefault) {
  const ObjectReference node{
      .apiVersion = "v1", .kind = "Node", .ns = "", .name = "lg-node", .uid = "", .fieldPath = ""};
  ASSERT_TRUE(recorder.record(node, EventType::kWarning, "MemoryPressure", "Detect", "n").ok());
  EXPECT_EQ(api.calls()[0].path, "/apis/events.k8s.io/v1/namespaces/default/events");
  EXPECT_FALSE(api.calls()[0].body["regarding"].contains("namespace"));
}

TEST_F(EventRecorderTest, ExpiredEventIsRecreatedWithItsSeries) {
  ASSERT_TRUE(leak().ok());
  clock.advance(1s);
  api.failNext(makeError("events \"x\" not found", 404));
  ASSERT_TRUE(leak().ok());
  auto calls = api.calls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[1].verb, "patch");
  EXPECT_EQ(calls[2].verb, "create");
  EXPECT_EQ(calls[2].body["series"]["count"], 2);
  EXPECT_EQ(calls[2].body["reason"], "LeakDetected");
  clock.advance(40s);
  ASSERT_TRUE(leak().ok());
  calls = api.calls();
  EXPECT_EQ(calls.back().verb, "patch");
  EXPECT_EQ(calls.back().path, "/apis/events.k8s.io/v1/namespaces/shop/events/" +
                                   calls[2].body["metadata"]["name"].get<std::string>());
}

TEST_F(EventRecorderTest, FailedCreateIsReportedAndRetriedNextTime) {
  api.failNext(makeError("forbidden", 403));
  auto s = leak();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, 403);
  EXPECT_EQ(recorder.tracked(), 0u);
  ASSERT_TRUE(leak().ok());
  EXPECT_EQ(api.calls().back().verb, "create");
}

TEST_F(EventRecorderTest, FailedSeriesWriteIsRetriedByFlush) {
  ASSERT_TRUE(leak().ok());
  api.failNext(makeError("etcd busy", 500));
  EXPECT_FALSE(leak().ok());
  ASSERT_TRUE(recorder.flush().ok());
  auto calls = api.calls();
  ASSERT_EQ(calls.size(), 3u);
  EXPECT_EQ(calls[2].body["series"]["count"], 2);
}

TEST_F(EventRecorderTest, LongTextIsCutToTheApiLimits) {
  std::string note(1020, 'a');
  note += "\xE2\x82\xAC\xE2\x82\xAC";  // two euro signs straddle byte 1024
  const std::string reason(200, 'R');
  ASSERT_TRUE(recorder.record(kPod, EventType::kNormal, reason, "A", note).ok());
  const nlohmann::json e = api.calls()[0].body;
  EXPECT_EQ(e["note"].get<std::string>().size(), 1023u);  // 1020 + one whole euro sign
  EXPECT_EQ(e["reason"].get<std::string>().size(), 128u);
}

TEST_F(EventRecorderTest, ForgetsTheStalestWhenFull) {
  EventRecorderOptions o;
  o.reportingInstance = "i";
  o.clock = &clock;
  o.maxTracked = 3;
  EventRecorder small(api, o);
  for (int i = 0; i < 5; ++i) {
    ObjectReference r = kPod;
    r.name = "p" + std::to_string(i);
    clock.advance(1s);
    ASSERT_TRUE(small.record(r, EventType::kNormal, "R", "A", "n").ok());
  }
  EXPECT_LE(small.tracked(), 3u);
}

}  // namespace
}  // namespace lg::kube
