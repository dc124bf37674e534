#include "operator/util/yaml_json.h"

#include <gtest/gtest.h>

namespace lg {
namespace {

TEST(YamlJson, ReadsManifestScalarsByYamlsCoreSchema) {
  auto docs = yamlToJson("a: 42\nb: \"42\"\nc: true\nd: ~\ne: [1, x]\n---\n---\nf: 1.5\n");
  ASSERT_TRUE(docs.ok()) << docs.error().message;
  ASSERT_EQ(docs->size(), 2u);  // the empty document is skipped
  EXPECT_EQ((*docs)[0],
            nlohmann::json::parse(R"({"a": 42, "b": "42", "c": true, "d": null, "e": [1, "x"]})"));
  EXPECT_EQ((*docs)[1]["f"], 1.5);
  EXPECT_FALSE(yamlToJson("a: [1, 2\n").ok());
}

// -o yaml must read back as the JSON it printed: strings that look like numbers, booleans or
// null stay strings.
TEST(YamlJson, JsonToYamlReadsBackAsTheSameJson) {
  const auto j = nlohmann::json::parse(R"({
    "items": [{"request": "116Mi", "pods": 1, "ratio": 0.25, "ok": true, "none": null,
               "count": "90", "flag": "true", "tilde": "~", "empty": "", "no": "no",
               "text": "leaking +8Mi/min: a bigger limit only postpones it",
               "nested": {"list": [], "map": {}}}],
    "123": "key that looks like a number"})");
  const std::string yaml = jsonToYaml(j);
  EXPECT_NE(yaml.find("request: 116Mi"), std::string::npos) << yaml;
  EXPECT_NE(yaml.find("count: \"90\""), std::string::npos) << yaml;
  auto back = yamlToJson(yaml);
  ASSERT_TRUE(back.ok()) << back.error().message << "\n" << yaml;
  ASSERT_EQ(back->size(), 1u);
  EXPECT_EQ((*back)[0], j) << yaml;
  EXPECT_EQ(yaml.back(), '\n');
}

}  // namespace
}  // namespace lg
