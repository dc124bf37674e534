#include "operator/kube/object_json.h"

#include <gtest/gtest.h>

namespace lg::kube {
namespace {

TEST(ObjectJson, AWatchEventLosesManagedFieldsAndKeepsTheRest) {
  const auto doc = parseObjectJson(R"({"type":"MODIFIED","object":{"kind":"Pod","metadata":{
      "name":"web-1","namespace":"shop","resourceVersion":"42",
      "managedFields":[{"manager":"kubelet","operation":"Update","fieldsV1":{"f:status":{}}}],
      "labels":{"app":"web"},"annotations":{"managedFields":"kept"}},
      "status":{"phase":"Running"}}})",
                                   kWatchEventMetadataDepth);
  ASSERT_FALSE(doc.is_discarded());
  const auto& meta = doc["object"]["metadata"];
  EXPECT_FALSE(meta.contains("managedFields"));
  EXPECT_EQ(meta["name"], "web-1");
  EXPECT_EQ(meta["resourceVersion"], "42");
  EXPECT_EQ(meta["labels"]["app"], "web");
  // Only the metadata's own key goes: an annotation of that name stays.
  EXPECT_EQ(meta["annotations"]["managedFields"], "kept");
  EXPECT_EQ(doc["object"]["status"]["phase"], "Running");
  EXPECT_EQ(doc["type"], "MODIFIED");
}

TEST(ObjectJson, EveryItemOfAListLosesIt) {
  const auto doc = parseObjectJson(R"({"kind":"PodList","metadata":{"resourceVersion":"7"},
      "items":[{"metadata":{"name":"a","managedFields":[]}},
               {"metadata":{"name":"b","managedFields":[{"manager":"x"}],
                            "annotations":{"managedFields":"kept"}}}]})",
                                   kListItemMetadataDepth);
  ASSERT_EQ(doc["items"].size(), 2u);
  for (const auto& item : doc["items"]) {
    EXPECT_FALSE(item["metadata"].contains("managedFields"));
    EXPECT_TRUE(item["metadata"].contains("name"));
  }
  EXPECT_EQ(doc["items"][1]["metadata"]["annotations"]["managedFields"], "kept");
  EXPECT_EQ(doc["metadata"]["resourceVersion"], "7");
}

TEST(ObjectJson, AtAnotherDepthItStays) {
  const auto doc = parseObjectJson(R"({"metadata":{"managedFields":[{"manager":"m"}]}})",
                                   kWatchEventMetadataDepth);
  EXPECT_EQ(doc["metadata"]["managedFields"][0]["manager"], "m");
}

TEST(ObjectJson, InvalidTextIsDiscardedNotThrown) {
  EXPECT_TRUE(
      parseObjectJson(R"({"object":{"metadata":{"managedFields":[)", kWatchEventMetadataDepth)
          .is_discarded());
  EXPECT_TRUE(parseObjectJson("not json", kListItemMetadataDepth).is_discarded());
}

}  // namespace
}  // namespace lg::kube
