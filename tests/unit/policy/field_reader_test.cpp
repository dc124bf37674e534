// FieldReader: each kind of field read, and what is said (the field's path and why) when it is
// of the wrong type or out of range. Absent and null fields are no issue.

#include "controllers/policy/field_reader.h"

#include <gtest/gtest.h>

namespace lg::policy {
namespace {

using nlohmann::json;

class FieldReaderTest : public ::testing::Test {
 protected:
  FieldReader reader(const json& j) { return FieldReader(j, "spec.x", issues); }
  std::string said() const {
    std::string out;
    for (const auto& i : issues)
      out += i.field + ": " + i.message + "\n";
    return out;
  }
  std::vector<ValidationIssue> issues;
};

TEST_F(FieldReaderTest, AbsentAndNullFieldsAreNoIssue) {
  const json j = {{"a", nullptr}};
  auto r = reader(j);
  EXPECT_EQ(r.get("a"), nullptr);
  EXPECT_FALSE(r.string("a"));
  EXPECT_FALSE(r.number("b", 0, 1));
  EXPECT_FALSE(r.integer("b", 0, 1));
  EXPECT_FALSE(r.duration("b"));
  EXPECT_FALSE(r.quantity("b"));
  EXPECT_FALSE(reader(json::array()).string("a"));  // not an object: nothing to read
  EXPECT_TRUE(issues.empty()) << said();
}

TEST_F(FieldReaderTest, NumbersAndIntegersWithinTheirRange) {
  const json j = {{"n", 2.5}, {"i", 7}, {"big", 5000000000LL}, {"s", "3"}, {"f", 1.5}};
  auto r = reader(j);
  EXPECT_EQ(r.number("n", 0, 3), 2.5);
  EXPECT_EQ(r.integer("i", 1, 7), 7);
  EXPECT_FALSE(r.number("n", 0, 2));
  EXPECT_FALSE(r.integer("big", 1, 1000));
  EXPECT_FALSE(r.integer("s", 1, 10));
  EXPECT_FALSE(r.integer("f", 1, 10));
  EXPECT_EQ(said(),
            "spec.x.n: must be between 0 and 2, got 2.5\n"
            "spec.x.big: must be between 1 and 1000, got 5000000000\n"
            "spec.x.s: must be an integer\n"
            "spec.x.f: must be an integer\n");
}

TEST_F(FieldReaderTest, DurationsAboveZero) {
  const json j = {{"ok", "1h30m"}, {"zero", "0s"}, {"bad", "soon"}, {"num", 30}};
  auto r = reader(j);
  EXPECT_EQ(r.duration("ok"), 5400);
  EXPECT_FALSE(r.duration("zero"));
  EXPECT_FALSE(r.duration("bad"));
  EXPECT_FALSE(r.duration("num"));
  ASSERT_EQ(issues.size(), 3u) << said();
  EXPECT_EQ(issues[0].field, "spec.x.zero");
  EXPECT_EQ(issues[0].message, "must be above 0s, got \"0s\"");
  EXPECT_EQ(issues[1].field, "spec.x.bad");
  EXPECT_EQ(issues[2].message, "must be a string");
}

TEST_F(FieldReaderTest, QuantitiesAsValuesOrAsWritten) {
  const json j = {{"q", "2Gi"}, {"neg", "-1Gi"}, {"bad", "lots"}, {"text", "512Mi"}};
  auto r = reader(j);
  EXPECT_EQ(r.quantity("q"), 2.0 * 1024 * 1024 * 1024);
  EXPECT_FALSE(r.quantity("neg"));
  EXPECT_FALSE(r.quantity("bad"));
  EXPECT_EQ(r.quantityText("text"), "512Mi");
  EXPECT_FALSE(r.quantityText("bad"));
  EXPECT_EQ(said(),
            "spec.x.neg: must be a quantity such as 2Gi, got \"-1Gi\"\n"
            "spec.x.bad: must be a quantity such as 2Gi, got \"lots\"\n"
            "spec.x.bad: must be a quantity such as 512Mi, got \"lots\"\n");
}

TEST_F(FieldReaderTest, PathsAndIssuesOfItsOwn) {
  const json j = json::object();
  auto r = reader(j);
  EXPECT_EQ(r.path(), "spec.x");
  EXPECT_EQ(r.at("port"), "spec.x.port");
  r.issue(r.at("port"), "required");
  EXPECT_EQ(said(), "spec.x.port: required\n");
}

}  // namespace
}  // namespace lg::policy
