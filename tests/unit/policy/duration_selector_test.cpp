#include <gtest/gtest.h>

#include "controllers/policy/duration.h"
#include "controllers/policy/label_selector.h"

namespace lg::policy {
namespace {

TEST(Duration, Parses) {
  EXPECT_EQ(*parseDuration("30m"), 1800);
  EXPECT_EQ(*parseDuration("1h30m"), 5400);
  EXPECT_EQ(*parseDuration("1.5h"), 5400);
  EXPECT_EQ(*parseDuration("500ms"), 0.5);
  EXPECT_EQ(*parseDuration("10s"), 10);
  for (const char* bad : {"", "30", "m", "1d", "1h 30m", "-5m", "1.2.3s", "h1"}) {
    auto r = parseDuration(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().message,
              std::string("must be a duration such as 30m, got \"") + bad + "\"");
  }
}

TEST(Duration, Formats) {
  EXPECT_EQ(formatDuration(0), "0s");
  EXPECT_EQ(formatDuration(0.25), "250ms");
  EXPECT_EQ(formatDuration(90), "1m30s");
  EXPECT_EQ(formatDuration(41 * 60 + 7), "41m");
  EXPECT_EQ(formatDuration(3600), "1h");
  EXPECT_EQ(formatDuration(3 * 3600 + 25 * 60), "3h25m");
  EXPECT_EQ(formatDuration(50 * 3600 + 25 * 60), "50h");
}

TEST(LabelSelector, MatchesAndPrints) {
  auto s = LabelSelector::parse(nlohmann::json::parse(R"({
    "matchLabels": {"app": "web"},
    "matchExpressions": [
      {"key": "tier", "operator": "In", "values": ["a", "b"]},
      {"key": "canary", "operator": "DoesNotExist"},
      {"key": "zone", "operator": "NotIn", "values": ["z1"]},
      {"key": "team", "operator": "Exists"}]})"));
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_TRUE(s->matches({{"app", "web"}, {"tier", "a"}, {"team", "x"}}));
  EXPECT_FALSE(s->matches({{"app", "web"}, {"tier", "c"}, {"team", "x"}}));
  EXPECT_FALSE(s->matches({{"app", "web"}, {"tier", "a"}, {"team", "x"}, {"canary", "1"}}));
  EXPECT_FALSE(s->matches({{"app", "web"}, {"tier", "a"}, {"team", "x"}, {"zone", "z1"}}));
  EXPECT_FALSE(s->matches({{"app", "web"}, {"tier", "a"}}));
  EXPECT_EQ(s->toString(), "app=web,tier in (a,b),!canary,zone notin (z1),team");
}

TEST(LabelSelector, RejectsMalformed) {
  auto op = LabelSelector::parse(
      nlohmann::json::parse(R"({"matchExpressions": [{"key": "a", "operator": "Near"}]})"));
  ASSERT_FALSE(op.ok());
  EXPECT_NE(op.error().message.find("matchExpressions[0].operator"), std::string::npos);
  EXPECT_FALSE(
      LabelSelector::parse(
          nlohmann::json::parse(R"({"matchExpressions": [{"key": "a", "operator": "In"}]})"))
          .ok());
  EXPECT_FALSE(LabelSelector::parse(nlohmann::json::parse(R"({"matchLabels": {"a": 1}})")).ok());
}

// Found by fuzz/label_selector_fuzz (its corpus keeps the input): an operator that is not a
// string threw out of the parser (nlohmann type_error), through the policy informer.
TEST(LabelSelector, AnOperatorOrValuesOfAnotherTypeIsAnErrorNotAThrow) {
  for (const char* bad : {
           R"({"matchExpressions": [{"key": "tier", "operator": ["web", "api"]}]})",
           R"({"matchExpressions": [{"key": "tier", "operator": 7}]})",
           R"({"matchExpressions": [{"key": "tier"}]})",
           R"({"matchExpressions": [{"key": "tier", "operator": "In", "values": "web"}]})",
       }) {
    auto r = LabelSelector::parse(nlohmann::json::parse(bad));
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().message.find("matchExpressions[0]."), std::string::npos) << bad;
  }
}

}  // namespace
}  // namespace lg::policy
