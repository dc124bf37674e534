// ViewParser and ObjectView: list pages and watch lines as the caches read them (simdjson), and
// the conversion to nlohmann::json for the caches that want the whole object.
#include "operator/kube/object_view.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace lg::kube {
namespace {

using json = nlohmann::json;

TEST(ObjectView, KeyAndResourceVersion) {
  ViewParser parser;
  auto ns =
      parser.parseObject(R"({"metadata":{"name":"a","namespace":"ns","resourceVersion":"7"}})");
  ASSERT_TRUE(ns.ok());
  EXPECT_EQ(ns->key(), "ns/a");
  EXPECT_EQ(ns->resourceVersion(), "7");
  auto cluster = parser.parseObject(R"({"metadata":{"name":"node-1"}})");
  ASSERT_TRUE(cluster.ok());
  EXPECT_EQ(cluster->key(), "node-1");
  EXPECT_EQ(cluster->resourceVersion(), "");
  auto nameless = parser.parseObject(R"({"metadata":{"namespace":"ns"}})");
  ASSERT_TRUE(nameless.ok());
  EXPECT_EQ(nameless->key(), "");
  auto mistyped = parser.parseObject(R"({"metadata":{"name":7,"resourceVersion":["x"]}})");
  ASSERT_TRUE(mistyped.ok());
  EXPECT_EQ(mistyped->key(), "");
  EXPECT_EQ(mistyped->resourceVersion(), "");
  EXPECT_FALSE(parser.parseObject("[1,2]").ok());
  EXPECT_FALSE(parser.parseObject("{\"metadata\":").ok());
}

TEST(ObjectView, ToJsonKeepsEverythingButTheMetadatasManagedFields) {
  ViewParser parser;
  auto v = parser.parseObject(R"({"kind":"Pod","metadata":{"name":"web-1",
      "managedFields":[{"manager":"kubelet"}],"labels":{"app":"web"},
      "annotations":{"managedFields":"kept"}},
      "spec":{"managedFields":1,"n":-3,"big":18446744073709551615,"f":1.5,"b":true,"z":null,
              "list":[{"managedFields":2},"s"]}})");
  ASSERT_TRUE(v.ok());
  const json doc = v->toJson();
  EXPECT_FALSE(doc["metadata"].contains("managedFields"));
  EXPECT_EQ(doc["metadata"]["labels"]["app"], "web");
  EXPECT_EQ(doc["metadata"]["annotations"]["managedFields"], "kept");
  EXPECT_EQ(doc["spec"]["managedFields"], 1);
  EXPECT_EQ(doc["spec"]["n"], -3);
  EXPECT_EQ(doc["spec"]["big"].get<std::uint64_t>(), 18446744073709551615ull);
  EXPECT_EQ(doc["spec"]["f"], 1.5);
  EXPECT_EQ(doc["spec"]["b"], true);
  EXPECT_TRUE(doc["spec"]["z"].is_null());
  EXPECT_EQ(doc["spec"]["list"], json::parse(R"([{"managedFields":2},"s"])"));
  EXPECT_EQ(doc["kind"], "Pod");
}

// One rule for keys an object repeats (the API server never does): the first wins, in lookups
// and in toJson alike, so a cache never keys an object by one name and projects another.
TEST(ObjectView, OfDuplicateKeysTheFirstWinsEverywhere) {
  ViewParser parser;
  auto v = parser.parseObject(R"({"metadata":{"name":"a","name":"b"}})");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->key(), "a");
  EXPECT_EQ(v->toJson()["metadata"]["name"], "a");
}

// Integers beyond 64 bits are JSON (the API server writes a float64 of 2^64 to 1e21 so): read
// as doubles, never a page or a stream that cannot be read.
TEST(ViewParser, IntegersBeyond64BitsAreReadAsDoubles) {
  ViewParser parser;
  const std::string object =
      R"({"metadata":{"name":"x","resourceVersion":"5"},"status":{"value":20000000000000000000}})";
  auto v = parser.parseObject(object);
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(v->key(), "x");
  EXPECT_DOUBLE_EQ(v->toJson()["status"]["value"].get<double>(), 2e19);
  auto event = parser.parseEvent(R"({"type":"MODIFIED","object":)" + object + "}");
  ASSERT_TRUE(event.ok()) << event.error().message;
  EXPECT_EQ(event->object.resourceVersion(), "5");
  std::vector<std::string> keys;
  auto page = parser.parseList(R"({"metadata":{"resourceVersion":"5"},"items":[)" + object +
                                   R"(,{"metadata":{"name":"y"}}]})",
                               [&](const ObjectView& o) { keys.push_back(o.key()); });
  ASSERT_TRUE(page.ok()) << page.error().message;
  EXPECT_EQ(keys, (std::vector<std::string>{"x", "y"}));
  // A number that is no number stays an error.
  EXPECT_FALSE(parser.parseObject(R"({"metadata":{"name":"x"},"v":1.2.3})").ok());
}

TEST(ViewParser, AListPageGivesEveryObjectItemAndItsMetadata) {
  ViewParser parser;
  std::vector<std::string> keys;
  auto page = parser.parseList(
      R"({"kind":"PodList","metadata":{"resourceVersion":"9","continue":"tok"},
          "items":[{"metadata":{"name":"a","namespace":"x"}},17,{"metadata":{"name":"b"}}]})",
      [&](const ObjectView& o) { keys.push_back(o.key()); });
  ASSERT_TRUE(page.ok()) << page.error().message;
  EXPECT_EQ(keys, (std::vector<std::string>{"x/a", "b"}));
  EXPECT_EQ(page->items, 2u);
  EXPECT_EQ(page->resourceVersion, "9");
  EXPECT_EQ(page->continueToken, "tok");

  auto empty = parser.parseList(R"({"metadata":{"resourceVersion":"3"},"items":null})",
                                [&](const ObjectView&) { ADD_FAILURE(); });
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->items, 0u);
  EXPECT_EQ(empty->resourceVersion, "3");

  auto broken = parser.parseList(R"({"items":[{"metadata":)", [](const ObjectView&) {});
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.error().message.find("list response is not JSON"), std::string::npos);
  EXPECT_FALSE(parser.parseList("[]", [](const ObjectView&) {}).ok());
}

// What HttpApiClient::list keeps of every item: the object without its metadata's managedFields.
TEST(ViewParser, EveryItemOfAListLosesManagedFields) {
  ViewParser parser;
  std::vector<json> items;
  auto page = parser.parseList(R"({"kind":"PodList","metadata":{"resourceVersion":"7"},
      "items":[{"metadata":{"name":"a","managedFields":[]}},
               {"metadata":{"name":"b","managedFields":[{"manager":"x"}],
                            "annotations":{"managedFields":"kept"}}}]})",
                               [&](const ObjectView& o) { items.push_back(o.toJson()); });
  ASSERT_TRUE(page.ok()) << page.error().message;
  ASSERT_EQ(items.size(), 2u);
  for (const auto& item : items) {
    EXPECT_FALSE(item["metadata"].contains("managedFields"));
    EXPECT_TRUE(item["metadata"].contains("name"));
  }
  EXPECT_EQ(items[1]["metadata"]["annotations"]["managedFields"], "kept");
  EXPECT_EQ(page->resourceVersion, "7");
}

TEST(ViewParser, WatchLines) {
  ViewParser parser;
  auto added = parser.parseEvent(R"({"type":"ADDED","object":{"metadata":{"name":"a"}}})");
  ASSERT_TRUE(added.ok());
  EXPECT_EQ(added->type, WatchEvent::Type::kAdded);
  EXPECT_EQ(added->object.key(), "a");
  auto bookmark =
      parser.parseEvent(R"({"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"12"}}})");
  ASSERT_TRUE(bookmark.ok());
  EXPECT_EQ(bookmark->type, WatchEvent::Type::kBookmark);
  EXPECT_EQ(bookmark->object.resourceVersion(), "12");
  auto error = parser.parseEvent(R"({"type":"ERROR","object":{"kind":"Status","code":410}})");
  ASSERT_TRUE(error.ok());
  EXPECT_EQ(error->type, WatchEvent::Type::kError);
  EXPECT_EQ(error->object.toJson()["code"], 410);

  auto unknown = parser.parseEvent(R"({"type":"RENAMED","object":{}})");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("unknown event type \"RENAMED\""), std::string::npos);
  auto noObject = parser.parseEvent(R"({"type":"ADDED","object":[]})");
  ASSERT_FALSE(noObject.ok());
  EXPECT_NE(noObject.error().message.find("without type or object"), std::string::npos);
  const std::string longLine = "{\"type\":\"ADDED\",\"object\":" + std::string(500, 'x');
  auto garbage = parser.parseEvent(longLine);
  ASSERT_FALSE(garbage.ok());
  EXPECT_NE(garbage.error().message.find("not a JSON object"), std::string::npos);
  EXPECT_LT(garbage.error().message.size(), 300u);  // quotes at most 200 bytes of the line
}

TEST(ViewParser, ReleaseKeepsItUsable) {
  ViewParser parser;
  std::string big = R"({"metadata":{"resourceVersion":"1"},"items":[)";
  for (int i = 0; i < 1000; ++i)
    big += (i ? "," : "") + std::string(R"({"metadata":{"name":"p)") + std::to_string(i) + "\"}}";
  big += "]}";
  std::size_t n = 0;
  ASSERT_TRUE(parser.parseList(big, [&](const ObjectView&) { ++n; }).ok());
  EXPECT_EQ(n, 1000u);
  parser.release();
  auto v = parser.parseObject(R"({"metadata":{"name":"after"}})");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->key(), "after");
}

TEST(WithObjectView, ADocumentSeenAsAView) {
  std::string key;
  withObjectView(json{{"metadata", {{"name", "x"}, {"namespace", "y"}}}},
                 [&](const ObjectView& v) { key = v.key(); });
  EXPECT_EQ(key, "y/x");
}

}  // namespace
}  // namespace lg::kube
