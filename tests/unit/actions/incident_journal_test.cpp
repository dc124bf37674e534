// The incident journal: quorum read, optimistic writes, bounded, skips folded.

#include "controllers/actions/incident_journal.h"

#include <gtest/gtest.h>

#include "tests/unit/actions/action_test_support.h"

namespace lg::actions {
namespace {

using namespace testing;

const kube::ResourceRef kIncidents = ref("leakguard.io", "leakincidents");

class IncidentJournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_.put(kIncidents, json{{"metadata", {{"name", "inc"}, {"namespace", "shop"}}},
                               {"spec", {{"policy", "checkout"}}},
                               {"status", {{"state", "Open"}}}});
  }
  IncidentJournal load() {
    auto j = IncidentJournal::load(fake_, "shop", "inc", std::chrono::seconds(5));
    EXPECT_TRUE(j);
    return std::move(*j);
  }
  json stored() { return (*fake_.object(kIncidents, "shop", "inc"))["status"]; }
  lg::testing::FakeApiClient fake_;
};

TEST_F(IncidentJournalTest, AppendsAndReadsBack) {
  auto j = load();
  ASSERT_TRUE(j.append({.step = "restart",
                        .action = "restart",
                        .outcome = Outcome::kStarted,
                        .time = 1767225600,
                        .message = "evict pod x",
                        .budget = "1/4 this hour",
                        .state = "Mitigating"}));
  ASSERT_TRUE(j.append({.step = "restart",
                        .action = "restart",
                        .outcome = Outcome::kSucceeded,
                        .time = 1767225601,
                        .lastAction = "restart"}));
  const auto st = stored();
  ASSERT_EQ(st["actions"].size(), 2u);
  EXPECT_EQ(st["actions"][0]["outcome"], "Started");
  EXPECT_EQ(st["actions"][0]["time"], "2026-01-01T00:00:00Z");
  EXPECT_EQ(st["actions"][0]["budget"], "1/4 this hour");
  EXPECT_EQ(st["state"], "Mitigating");
  EXPECT_EQ(st["lastAction"], "restart");
  const auto entries = load().entries();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[1].step, "restart");
  EXPECT_EQ(entries[1].action, "restart");
  EXPECT_EQ(entries[1].outcome, Outcome::kSucceeded);
  EXPECT_DOUBLE_EQ(entries[1].time, 1767225601);
}

TEST_F(IncidentJournalTest, AConcurrentWriteIsNotOverwritten) {
  auto j = load();
  auto other = load();
  ASSERT_TRUE(other.append({.step = "a", .action = "event", .outcome = Outcome::kSucceeded}));
  auto st = j.append({.step = "b", .action = "restart", .outcome = Outcome::kStarted});
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, 409);
  EXPECT_EQ(stored()["actions"].size(), 1u);
}

TEST_F(IncidentJournalTest, SkipsAreFoldedAndWrittenOnlyWhenTheReasonChanges) {
  auto j = load();
  JournalWrite s{.step = "restart",
                 .action = "restart",
                 .outcome = Outcome::kSkipped,
                 .time = 1,
                 .message = "PDB"};
  EXPECT_TRUE(*j.skip(s));
  const auto writes = fake_.callCount("replace");
  EXPECT_FALSE(*j.skip(s));
  EXPECT_EQ(fake_.callCount("replace"), writes);
  s.message = "cooldown";
  EXPECT_TRUE(*j.skip(s));
  ASSERT_EQ(stored()["actions"].size(), 1u);
  EXPECT_EQ(stored()["actions"][0]["message"], "cooldown");
  ASSERT_TRUE(j.append({.step = "restart", .action = "restart", .outcome = Outcome::kStarted}));
  EXPECT_TRUE(*j.skip(s));  // after another entry of the step: a new skip
  EXPECT_EQ(stored()["actions"].size(), 3u);
}

TEST_F(IncidentJournalTest, BoundedKeepingWhatIdempotencyNeeds) {
  auto j = load();
  ASSERT_TRUE(j.append({.step = "restart", .action = "restart", .outcome = Outcome::kStarted}));
  for (int i = 0; i < 80; ++i)
    ASSERT_TRUE(j.append({.step = "s" + std::to_string(i),
                          .action = "event",
                          .outcome = i % 2 ? Outcome::kObserved : Outcome::kFailed,
                          .diagnostics = json{{"n", i}}}));
  const auto st = stored();
  EXPECT_EQ(st["actions"].size(), IncidentJournal::kMaxEntries);
  EXPECT_EQ(st["actions"][0]["outcome"], "Started");
  EXPECT_EQ(st["diagnostics"].size(), IncidentJournal::kMaxDiagnostics);
  EXPECT_EQ(st["diagnostics"].back()["n"], 79);
}

TEST_F(IncidentJournalTest, ToleratesGarbage) {
  EXPECT_TRUE(IncidentJournal::parse(json::parse(R"({"actions": 3})")).empty());
  const auto e = IncidentJournal::parse(json::parse(
      R"({"actions": [1, {"action": "reboot", "outcome": "Started"},
                      {"action": "restart", "time": 5, "step": 1, "outcome": "Failed"},
                      {"action": "event", "outcome": "Succeeded", "time": "garbage"},
                      {"action": "event", "outcome": "Exploded"}, {"action": "event"}]})"));
  // An action no longer registered is kept: its entries still count as what they say (with no
  // traits, a record step). An outcome this version cannot read is left out.
  ASSERT_EQ(e.size(), 3u);
  EXPECT_EQ(e[0].action, "reboot");
  EXPECT_EQ(e[0].outcome, Outcome::kStarted);
  EXPECT_FALSE(defaultActions().traits("reboot").escalation);
  EXPECT_EQ(e[1].step, "");
  EXPECT_EQ(e[1].outcome, Outcome::kFailed);
  EXPECT_EQ(e[2].time, 0);
  EXPECT_EQ(e[2].outcome, Outcome::kSucceeded);
  auto gone = IncidentJournal::load(fake_, "shop", "nope", std::chrono::seconds(1));
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code, 404);
}

}  // namespace
}  // namespace lg::actions
