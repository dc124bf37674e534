#include "operator/cli/top_command.h"

#include <gtest/gtest.h>

#include <sstream>

#include "tests/fakes/fake_api_client.h"

namespace lg::cli {
namespace {

const kube::ResourceRef kIncidents{
    .group = "leakguard.io", .version = "v1alpha1", .resource = "leakincidents"};
constexpr double kNow = 1796558400;  // 2026-12-06T12:00:00Z

nlohmann::json incident(const std::string& ns, const std::string& name, const std::string& state,
                        const std::string& exhaustionAt, const std::string& resource = "memory") {
  return {{"apiVersion", "leakguard.io/v1alpha1"},
          {"kind", "LeakIncident"},
          {"metadata", {{"name", name}, {"namespace", ns}}},
          {"spec",
           {{"policy", "guard"},
            {"pod", {{"name", name + "-pod"}}},
            {"container", "app"},
            {"resource", resource}}},
          {"status",
           {{"state", state},
            {"lastAction", "restart"},
            {"evidence",
             {{"rate", "+8Mi/min"}, {"exhaustionAt", exhaustionAt}, {"confidence", 0.97}}}}}};
}

class TopCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    api_.put(kIncidents, incident("shop", "late", "Open", "2026-12-06T14:00:00Z"));
    api_.put(kIncidents, incident("shop", "soon", "Mitigating", "2026-12-06T12:20:00Z"));
    api_.put(kIncidents, incident("shop", "done", "Resolved", "2026-12-06T12:01:00Z"));
    api_.put(kIncidents, incident("blog", "other", "Open", "2026-12-06T12:10:00Z", "fds"));
  }
  int run(TopFlags flags, const std::string& ns = "shop") {
    out_.str("");
    err_.str("");
    return runTop(flags, api_, ns, kNow, out_, err_);
  }
  testing::FakeApiClient api_;
  std::ostringstream out_, err_;
};

TEST_F(TopCommandTest, OpenIncidentsOfTheNamespaceSoonestFirst) {
  ASSERT_EQ(run({}), 0) << err_.str();
  EXPECT_EQ(out_.str(),
            "POD        CONTAINER   RESOURCE   RATE       EXHAUSTION   STATE\n"
            "soon-pod   app         memory     +8Mi/min   in 20m       Mitigating\n"
            "late-pod   app         memory     +8Mi/min   in 2h        Open\n");
}

TEST_F(TopCommandTest, AllNamespacesAddTheNamespaceColumn) {
  TopFlags f;
  f.allNamespaces = true;
  ASSERT_EQ(run(f), 0) << err_.str();
  const std::string out = out_.str();
  EXPECT_EQ(out.rfind("NAMESPACE   POD", 0), 0u) << out;
  EXPECT_LT(out.find("blog        other-pod"), out.find("shop        soon-pod")) << out;
  EXPECT_EQ(out.find("done"), std::string::npos) << out;  // Resolved is not shown
}

TEST_F(TopCommandTest, WideAndJson) {
  TopFlags f;
  f.output = "wide";
  ASSERT_EQ(run(f), 0);
  EXPECT_NE(out_.str().find("LAST ACTION   CONFIDENCE   POLICY   INCIDENT"), std::string::npos)
      << out_.str();
  EXPECT_NE(out_.str().find("restart       0.97         guard    soon"), std::string::npos)
      << out_.str();
  f.output = "json";
  ASSERT_EQ(run(f), 0);
  const auto j = nlohmann::json::parse(out_.str());
  ASSERT_EQ(j["items"].size(), 2u);
  EXPECT_EQ(j["items"][0]["incident"], "soon");
  EXPECT_EQ(j["items"][0]["exhaustionInSeconds"], 1200);
}

TEST_F(TopCommandTest, ColourOnlyWhenAskedAndOnlyForTheLastHour) {
  TopFlags f;
  f.color = true;
  ASSERT_EQ(run(f), 0);
  EXPECT_NE(out_.str().find("\x1b[31msoon-pod"), std::string::npos) << out_.str();
  EXPECT_EQ(out_.str().find("\x1b[31mlate-pod"), std::string::npos) << out_.str();
  ASSERT_EQ(run({}), 0);
  EXPECT_EQ(out_.str().find("\x1b["), std::string::npos);
}

TEST_F(TopCommandTest, NothingOpenIsSaidInWords) {
  ASSERT_EQ(run({}, "empty"), 0);
  EXPECT_EQ(out_.str(), "No open leak incidents in namespace empty.\n");
}

TEST_F(TopCommandTest, AnApiErrorNamesWhatFailedAndExitsOne) {
  api_.fail("list", makeError("forbidden: cannot list leakincidents", 403));
  EXPECT_EQ(run({}), 1);
  EXPECT_EQ(err_.str(),
            "leakguard top: cannot list leakincidents in namespace shop: forbidden: cannot list "
            "leakincidents\n");
}

// What the cluster sends is not trusted: missing, mistyped and unparsable fields are shown as
// unknown, never a crash; items that are not objects or have no name are skipped.
TEST(RankIncidents, ToleratesMalformedItems) {
  nlohmann::json items = nlohmann::json::array();
  items.push_back(42);
  items.push_back({{"status", {{"state", "Open"}}}});  // no name
  items.push_back({{"metadata", {{"name", "odd"}, {"namespace", 7}}},
                   {"spec", {{"pod", "not-an-object"}}},
                   {"status",
                    {{"state", "Open"},
                     {"evidence", {{"exhaustionAt", "yesterday"}, {"confidence", "high"}}}}}});
  items.push_back(incident("shop", "ok", "Open", "2026-12-06T13:00:00Z"));
  const auto rows = rankIncidents(items);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].incident, "ok");  // known exhaustion first
  EXPECT_EQ(rows[1].incident, "odd");
  EXPECT_EQ(rows[1].exhaustionAt, 0);
  EXPECT_EQ(rows[1].ns, "");
  EXPECT_NE(formatTop(rows, kNow, {}).find("-            Open"), std::string::npos)
      << formatTop(rows, kNow, {});
  EXPECT_TRUE(rankIncidents(nlohmann::json::object()).empty());
}

}  // namespace
}  // namespace lg::cli
