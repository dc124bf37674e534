#include "operator/kube/watch_decoder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

namespace lg::kube {
namespace {

using ::testing::HasSubstr;
using Type = WatchEvent::Type;

std::string event(std::string_view type, std::string_view name, std::string_view rv = "1") {
  return R"({"type":")" + std::string(type) +
         R"(","object":{"kind":"ConfigMap","metadata":{"name":")" + std::string(name) +
         R"(","resourceVersion":")" + std::string(rv) + R"("}}})" + "\n";
}

// Feeds the chunks one by one, draining events after each, as the watch stream does.
std::vector<WatchEvent> decodeAll(WatchDecoder& d, const std::vector<std::string>& chunks) {
  std::vector<WatchEvent> out;
  for (const std::string& c : chunks) {
    d.feed(c);
    for (;;) {
      auto e = d.next();
      EXPECT_TRUE(e.ok()) << (e.ok() ? "" : e.error().message);
      if (!e.ok() || !*e) break;
      out.push_back(std::move(**e));
    }
  }
  return out;
}

TEST(WatchDecoderTest, OneEventPerChunk) {
  WatchDecoder d;
  auto events = decodeAll(d, {event("ADDED", "a"), event("MODIFIED", "a", "2")});
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, Type::kAdded);
  EXPECT_EQ(events[0].object["metadata"]["name"], "a");
  EXPECT_EQ(events[1].type, Type::kModified);
  EXPECT_EQ(events[1].object["metadata"]["resourceVersion"], "2");
  EXPECT_EQ(d.buffered(), 0u);
}

TEST(WatchDecoderTest, EventSplitAcrossChunksAtEveryByte) {
  const std::string all = event("ADDED", "split") + event("DELETED", "split", "9");
  for (size_t cut = 0; cut <= all.size(); ++cut) {
    WatchDecoder d;
    auto events = decodeAll(d, {all.substr(0, cut), all.substr(cut)});
    ASSERT_EQ(events.size(), 2u) << "cut at " << cut;
    EXPECT_EQ(events[0].type, Type::kAdded);
    EXPECT_EQ(events[1].type, Type::kDeleted);
    EXPECT_EQ(events[1].object["metadata"]["resourceVersion"], "9");
  }
}

TEST(WatchDecoderTest, ByteByByte) {
  const std::string all = event("ADDED", "x") + event("MODIFIED", "x");
  std::vector<std::string> chunks;
  for (char c : all)
    chunks.emplace_back(1, c);
  WatchDecoder d;
  EXPECT_EQ(decodeAll(d, chunks).size(), 2u);
}

TEST(WatchDecoderTest, SeveralEventsInOneChunk) {
  WatchDecoder d;
  auto events = decodeAll(d, {event("ADDED", "a") + event("ADDED", "b") + event("DELETED", "a")});
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[1].object["metadata"]["name"], "b");
  EXPECT_EQ(events[2].type, Type::kDeleted);
}

TEST(WatchDecoderTest, BookmarkAndBlankLinesAndCrLf) {
  WatchDecoder d;
  auto events = decodeAll(
      d,
      {"\n",
       R"({"type":"BOOKMARK","object":{"kind":"ConfigMap","metadata":{"resourceVersion":"77"}}})",
       "\r\n\n", event("ADDED", "a")});
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, Type::kBookmark);
  EXPECT_EQ(events[0].object["metadata"]["resourceVersion"], "77");
}

TEST(WatchDecoderTest, ErrorEventCarriesStatus410) {
  WatchDecoder d;
  auto events = decodeAll(
      d, {R"j({"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},)j"
          R"j("status":"Failure","message":"too old resource version: 1 (4242)",)j"
          R"j("reason":"Expired","code":410}})j"
          "\n"});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, Type::kError);
  EXPECT_EQ(events[0].object["code"], 410);
  EXPECT_EQ(events[0].object["reason"], "Expired");
}

TEST(WatchDecoderTest, GarbageLineIsAnError) {
  WatchDecoder d;
  d.feed(event("ADDED", "ok") + "<html>502 Bad Gateway</html>\n");
  auto first = d.next();
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(first->has_value());
  auto second = d.next();
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, 0);
  EXPECT_THAT(second.error().message, HasSubstr("not a JSON object"));
  EXPECT_THAT(second.error().message, HasSubstr("502 Bad Gateway"));
}

TEST(WatchDecoderTest, WrongShapesAreErrors) {
  for (const char* line :
       {R"({"type":"ADDED"})", R"({"object":{}})", R"({"type":"ADDED","object":3})",
        R"({"type":"EXPLODED","object":{}})", R"([1,2])", R"("str")"}) {
    WatchDecoder d;
    d.feed(std::string(line) + "\n");
    auto e = d.next();
    EXPECT_FALSE(e.ok()) << line;
  }
  WatchDecoder d;
  d.feed("{\"type\":\"EXPLODED\",\"object\":{}}\n");
  EXPECT_THAT(d.next().error().message, HasSubstr("unknown event type \"EXPLODED\""));
}

TEST(WatchDecoderTest, OversizedEventIsAnErrorEvenWithoutNewline) {
  WatchDecoder d(/*maxEventBytes=*/64);
  d.feed(std::string(50, ' '));
  auto partial = d.next();
  ASSERT_TRUE(partial.ok());
  EXPECT_FALSE(partial->has_value());
  d.feed(std::string(50, 'x'));
  auto over = d.next();
  ASSERT_FALSE(over.ok());
  EXPECT_THAT(over.error().message, HasSubstr("larger than 64 bytes"));
}

TEST(WatchDecoderTest, FinishReturnsLastEventWithoutNewline) {
  WatchDecoder d;
  std::string last = event("ADDED", "tail");
  last.pop_back();  // no final newline
  d.feed(last);
  auto none = d.next();
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  auto fin = d.finish();
  ASSERT_TRUE(fin.ok());
  ASSERT_TRUE(fin->has_value());
  EXPECT_EQ((*fin)->object["metadata"]["name"], "tail");
  auto after = d.finish();
  ASSERT_TRUE(after.ok());
  EXPECT_FALSE(after->has_value());
}

TEST(WatchDecoderTest, FinishWithTruncatedEventIsAnError) {
  WatchDecoder d;
  d.feed(event("ADDED", "cut").substr(0, 20));
  auto fin = d.finish();
  ASSERT_FALSE(fin.ok());
  EXPECT_THAT(fin.error().message, HasSubstr("ended inside an event"));
}

TEST(WatchDecoderTest, LongStreamKeepsBufferSmall) {
  WatchDecoder d;
  size_t seen = 0;
  for (int i = 0; i < 5000; ++i) {
    auto events = decodeAll(d, {event("MODIFIED", "n" + std::to_string(i))});
    seen += events.size();
  }
  EXPECT_EQ(seen, 5000u);
  EXPECT_EQ(d.buffered(), 0u);
}

TEST(ParseWatchEventTest, ParsesOneLine) {
  auto e = parseWatchEvent(R"({"type":"DELETED","object":{"metadata":{"name":"z"}}})");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->type, Type::kDeleted);
  EXPECT_EQ(e->object["metadata"]["name"], "z");
}

// managedFields is dropped from the event's object's own metadata, and only there.
TEST(ParseWatchEvent, TheObjectLosesManagedFieldsAndKeepsTheRest) {
  const auto e = parseWatchEvent(R"({"type":"MODIFIED","object":{"kind":"Pod","metadata":{
      "name":"web-1","namespace":"shop","resourceVersion":"42",
      "managedFields":[{"manager":"kubelet","operation":"Update","fieldsV1":{"f:status":{}}}],
      "labels":{"app":"web"},"annotations":{"managedFields":"kept"}},
      "status":{"phase":"Running"}}})");
  ASSERT_TRUE(e.ok()) << e.error().message;
  const auto& meta = e->object["metadata"];
  EXPECT_FALSE(meta.contains("managedFields"));
  EXPECT_EQ(meta["name"], "web-1");
  EXPECT_EQ(meta["resourceVersion"], "42");
  EXPECT_EQ(meta["labels"]["app"], "web");
  // Only the metadata's own key goes: an annotation of that name stays.
  EXPECT_EQ(meta["annotations"]["managedFields"], "kept");
  EXPECT_EQ(e->object["status"]["phase"], "Running");
  EXPECT_EQ(e->type, WatchEvent::Type::kModified);
}

TEST(ParseWatchEvent, AtAnotherDepthItStays) {
  const auto e = parseWatchEvent(
      R"({"type":"ADDED","object":{"spec":{"metadata":{"managedFields":[{"manager":"m"}]}}}})");
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_EQ(e->object["spec"]["metadata"]["managedFields"][0]["manager"], "m");
}

TEST(ParseWatchEvent, InvalidTextIsAnErrorNotAThrow) {
  EXPECT_FALSE(parseWatchEvent(R"({"object":{"metadata":{"managedFields":[)").ok());
  EXPECT_FALSE(parseWatchEvent("not json").ok());
}

}  // namespace
}  // namespace lg::kube
