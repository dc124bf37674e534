#include "controllers/agent/token_authenticator.h"

#include <gtest/gtest.h>

#include "tests/fakes/fake_clock.h"
#include "tests/unit/agent/token_review_api.h"

namespace lg::agent {
namespace {

using Outcome = AuthResult::Outcome;
const std::string kController = "system:serviceaccount:leakguard-system:leakguard-controller";

class TokenAuthenticatorTest : public ::testing::Test {
 protected:
  TokenAuthenticatorTest() {
    api.addToken("ctl-agent", {kController, {"leakguard-agent"}});
    api.addToken("ctl-api", {kController, {"https://kubernetes.default.svc"}});
    api.addToken("other-agent", {"system:serviceaccount:shop:default", {"leakguard-agent"}});
  }
  testing::TokenReviewApi api;
  lg::testing::FakeClock clock;
};

TEST_F(TokenAuthenticatorTest, OnlyTheAllowedServiceAccountWithTheAgentAudience) {
  TokenAuthenticator auth(api, clock, {});
  auto ok = auth.authenticate("ctl-agent");
  EXPECT_EQ(ok.outcome, Outcome::kAllowed);
  EXPECT_EQ(ok.user, kController);
  auto other = auth.authenticate("other-agent");
  EXPECT_EQ(other.outcome, Outcome::kForbidden);
  EXPECT_EQ(other.user, "system:serviceaccount:shop:default");
  // The controller's API token is not for the agents.
  EXPECT_EQ(auth.authenticate("ctl-api").outcome, Outcome::kUnauthenticated);
  EXPECT_EQ(auth.authenticate("garbage").outcome, Outcome::kUnauthenticated);
  EXPECT_EQ(auth.authenticate("").outcome, Outcome::kUnauthenticated);
  ASSERT_FALSE(api.bodies().empty());
  EXPECT_EQ(api.bodies()[0]["spec"]["audiences"], nlohmann::json({"leakguard-agent"}));
  EXPECT_EQ(api.bodies()[0]["kind"], "TokenReview");
}

TEST_F(TokenAuthenticatorTest, WithoutAudiencesTheApiServersTokensWork) {
  TokenAuthenticator auth(api, clock, {.audiences = {}});
  EXPECT_EQ(auth.authenticate("ctl-api").outcome, Outcome::kAllowed);
  EXPECT_FALSE(api.bodies()[0]["spec"].contains("audiences"));
}

TEST_F(TokenAuthenticatorTest, SeveralAllowedUsers) {
  TokenAuthenticator auth(api, clock,
                          {.allowedUsers = {kController, "system:serviceaccount:shop:default"}});
  EXPECT_EQ(auth.authenticate("other-agent").outcome, Outcome::kAllowed);
}

TEST_F(TokenAuthenticatorTest, ResultsAreCachedForAMinute) {
  TokenAuthenticator auth(api, clock, {});
  EXPECT_FALSE(auth.authenticate("ctl-agent").cached);
  EXPECT_FALSE(auth.authenticate("garbage").cached);
  EXPECT_EQ(api.reviews(), 2);
  clock.advance(std::chrono::seconds(59));
  auto again = auth.authenticate("ctl-agent");
  EXPECT_TRUE(again.cached);
  EXPECT_EQ(again.outcome, Outcome::kAllowed);
  EXPECT_EQ(auth.authenticate("garbage").outcome, Outcome::kUnauthenticated);
  EXPECT_EQ(api.reviews(), 2);
  clock.advance(std::chrono::seconds(2));
  EXPECT_FALSE(auth.authenticate("ctl-agent").cached);
  EXPECT_EQ(api.reviews(), 3);
}

TEST_F(TokenAuthenticatorTest, AnUnreachableApiServerIsUnavailableAndNotCached) {
  TokenAuthenticator auth(api, clock, {});
  api.setDown(true);
  EXPECT_EQ(auth.authenticate("ctl-agent").outcome, Outcome::kUnavailable);
  api.setDown(false);
  EXPECT_EQ(auth.authenticate("ctl-agent").outcome, Outcome::kAllowed);
  EXPECT_EQ(api.reviews(), 2);
}

TEST_F(TokenAuthenticatorTest, TheCachesAreBounded) {
  TokenAuthenticator auth(api, clock, {.maxRefusedEntries = 8, .reviewQps = 0});
  for (int i = 0; i < 100; ++i)
    auth.authenticate("probe-" + std::to_string(i));
  EXPECT_EQ(api.reviews(), 100);
  auth.authenticate("probe-0");  // pushed out long ago: reviewed again
  EXPECT_EQ(api.reviews(), 101);
  auth.authenticate("probe-99");  // among the 8 most recent
  EXPECT_EQ(api.reviews(), 101);
}

// A thousand distinct bogus tokens cost the API server the burst of reviews, then reviewQps.
TEST_F(TokenAuthenticatorTest, AFloodOfBogusTokensCostsABoundedNumberOfReviews) {
  runtime::MetricsRegistry metrics;
  TokenAuthenticator auth(api, clock, {.reviewQps = 5, .reviewBurst = 20, .metrics = &metrics});
  int throttled = 0;
  for (int i = 0; i < 1000; ++i) {
    const auto r = auth.authenticate("bogus-" + std::to_string(i));
    if (r.outcome == Outcome::kThrottled) {
      ++throttled;
      EXPECT_EQ(r.reason, "too many token reviews, retry later");
    } else {
      EXPECT_EQ(r.outcome, Outcome::kUnauthenticated);
    }
  }
  EXPECT_EQ(api.reviews(), 20);
  EXPECT_EQ(throttled, 980);
  EXPECT_EQ(auth.throttled(), 980u);
  clock.advance(std::chrono::seconds(2));  // 10 more
  for (int i = 1000; i < 2000; ++i)
    auth.authenticate("bogus-" + std::to_string(i));
  EXPECT_EQ(api.reviews(), 30);
  const std::string out = metrics.render();
  EXPECT_NE(out.find("leakguard_agent_token_reviews_total{result=\"unauthenticated\"} 30\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("leakguard_agent_token_reviews_throttled_total 1970\n"), std::string::npos)
      << out;
}

// The controller's token is neither pushed out of the cache by a flood of others nor locked out
// by the flood's use of the review budget once its entry expires.
TEST_F(TokenAuthenticatorTest, TheControllerGetsThroughAFlood) {
  TokenAuthenticator auth(
      api, clock, {.maxEntries = 4, .maxRefusedEntries = 4, .reviewQps = 1, .reviewBurst = 5});
  EXPECT_EQ(auth.authenticate("ctl-agent").outcome, Outcome::kAllowed);
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 500; ++i)
      auth.authenticate("bogus-" + std::to_string(round) + "-" + std::to_string(i));
    const auto r = auth.authenticate("ctl-agent");
    EXPECT_EQ(r.outcome, Outcome::kAllowed) << round;
    EXPECT_TRUE(r.cached) << round;
  }
  // Past its time to live, with the budget spent by the flood: reviewed all the same.
  clock.advance(std::chrono::seconds(61));
  for (int i = 0; i < 500; ++i)
    auth.authenticate("late-" + std::to_string(i));
  const int before = api.reviews();
  const auto r = auth.authenticate("ctl-agent");
  EXPECT_EQ(r.outcome, Outcome::kAllowed);
  EXPECT_FALSE(r.cached);
  EXPECT_EQ(api.reviews(), before + 1);
  // A token someone else minted is not "allowed before": the limit holds for it.
  EXPECT_EQ(auth.authenticate("other-agent").outcome, Outcome::kThrottled);
}

// A token once allowed and then refused (revoked) is not let through the limit again.
TEST_F(TokenAuthenticatorTest, ARevokedTokenLosesItsPlace) {
  TokenAuthenticator auth(api, clock, {.reviewQps = 1, .reviewBurst = 1});
  EXPECT_EQ(auth.authenticate("ctl-agent").outcome, Outcome::kAllowed);
  api.removeToken("ctl-agent");
  clock.advance(std::chrono::seconds(61));
  EXPECT_EQ(auth.authenticate("ctl-agent").outcome, Outcome::kUnauthenticated);
  clock.advance(std::chrono::seconds(61));
  // The one review of the second is spent on another token: ctl-agent waits its turn now.
  EXPECT_EQ(auth.authenticate("garbage").outcome, Outcome::kUnauthenticated);
  EXPECT_EQ(auth.authenticate("ctl-agent").outcome, Outcome::kThrottled);
}

TEST(BearerToken, ParsesTheHeader) {
  EXPECT_EQ(*bearerToken("Bearer abc.def"), "abc.def");
  EXPECT_EQ(*bearerToken("bearer  abc "), "abc");
  EXPECT_FALSE(bearerToken("Basic dXNlcjpwdw=="));
  EXPECT_FALSE(bearerToken("Bearer "));
  EXPECT_FALSE(bearerToken("Bearer a b"));
  EXPECT_FALSE(bearerToken(""));
}

}  // namespace
}  // namespace lg::agent
