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

TEST_F(TokenAuthenticatorTest, TheCacheIsBounded) {
  TokenAuthenticator auth(api, clock, {.maxEntries = 8});
  for (int i = 0; i < 100; ++i)
    auth.authenticate("probe-" + std::to_string(i));
  EXPECT_EQ(api.reviews(), 100);
  auth.authenticate("ctl-agent");
  EXPECT_TRUE(auth.authenticate("ctl-agent").cached);
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
