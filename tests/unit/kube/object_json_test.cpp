#include "operator/kube/object_json.h"

#include <gtest/gtest.h>

namespace lg::kube {
namespace {

TEST(ObjectJson, DropsManagedFieldsAndKeepsTheRest) {
  const auto doc = parseObjectJson(R"({"type":"MODIFIED","object":{"kind":"Pod","metadata":{
      "name":"web-1","namespace":"shop","resourceVersion":"42",
      "managedFields":[{"manager":"kubelet","operation":"Update","fieldsV1":{"f:status":{}}}],
      "labels":{"app":"web"}},"status":{"phase":"Running"}}})");
  ASSERT_FALSE(doc.is_discarded());
  const auto& meta = doc["object"]["metadata"];
  EXPECT_FALSE(meta.contains("managedFields"));
  EXPECT_EQ(meta["name"], "web-1");
  EXPECT_EQ(meta["resourceVersion"], "42");
  EXPECT_EQ(meta["labels"]["app"], "web");
  EXPECT_EQ(doc["object"]["status"]["phase"], "Running");
  EXPECT_EQ(doc["type"], "MODIFIED");
}

TEST(ObjectJson, DropsItInEveryItemOfAList) {
  const auto doc = parseObjectJson(R"({"kind":"PodList","metadata":{"resourceVersion":"7"},
      "items":[{"metadata":{"name":"a","managedFields":[]}},
               {"metadata":{"name":"b","managedFields":[{"manager":"x"}]}}]})");
  ASSERT_EQ(doc["items"].size(), 2u);
  for (const auto& item : doc["items"]) {
    EXPECT_FALSE(item["metadata"].contains("managedFields"));
    EXPECT_TRUE(item["metadata"].contains("name"));
  }
  EXPECT_EQ(doc["metadata"]["resourceVersion"], "7");
}

TEST(ObjectJson, TheWordAsAValueStays) {
  const auto doc = parseObjectJson(R"({"metadata":{"annotations":{"note":"managedFields"}}})");
  EXPECT_EQ(doc["metadata"]["annotations"]["note"], "managedFields");
}

TEST(ObjectJson, InvalidTextIsDiscardedNotThrown) {
  EXPECT_TRUE(parseObjectJson(R"({"metadata":{"managedFields":[)").is_discarded());
  EXPECT_TRUE(parseObjectJson("not json").is_discarded());
}

}  // namespace
}  // namespace lg::kube
