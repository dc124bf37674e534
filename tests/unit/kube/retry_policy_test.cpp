#include "operator/kube/retry_policy.h"

#include <gtest/gtest.h>

#include "tests/fakes/fake_clock.h"

namespace lg::kube {
namespace {

using namespace std::chrono_literals;
using std::chrono::milliseconds;

class RetryPolicyTest : public ::testing::Test {
 protected:
  RetryPolicy policy{RetryOptions{
      .maxAttempts = 6, .initialBackoff = 100ms, .maxBackoff = 1000ms, .jitter = 0.25}};
  lg::testing::FakeClock clock;
  std::chrono::steady_clock::time_point deadline = clock.steadyNow() + 30s;

  std::optional<milliseconds> delay(Verb verb, FailedAttempt f, double random = 0.5) {
    return policy.retryDelay(verb, f, clock.steadyNow(), deadline, random);
  }
};

TEST_F(RetryPolicyTest, TooManyRequestsHonoursRetryAfterForEveryVerb) {
  for (Verb v : {Verb::kGet, Verb::kCreate, Verb::kPatch, Verb::kDelete}) {
    auto d =
        delay(v, {.number = 1, .httpCode = 429, .sent = true, .retryAfter = 3s, .eviction = false});
    ASSERT_TRUE(d.has_value());
    EXPECT_EQ(*d, 3000ms);
  }
}

TEST_F(RetryPolicyTest, TooManyRequestsWithoutRetryAfterBacksOff) {
  auto d = delay(Verb::kGet,
                 {.number = 1, .httpCode = 429, .sent = true, .retryAfter = {}, .eviction = false});
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(*d, 100ms);  // random 0.5: no jitter
  auto zero =
      delay(Verb::kGet,
            {.number = 1, .httpCode = 429, .sent = true, .retryAfter = 0s, .eviction = false});
  EXPECT_EQ(zero, 100ms);  // Retry-After: 0 means "soon": the backoff decides
}

TEST_F(RetryPolicyTest, EvictionBlockedByBudgetIsNotRetried) {
  EXPECT_FALSE(
      delay(Verb::kCreate,
            {.number = 1, .httpCode = 429, .sent = true, .retryAfter = 1s, .eviction = true})
          .has_value());
  // Other failures of an eviction follow the POST rules.
  EXPECT_TRUE(delay(Verb::kCreate,
                    {.number = 1, .httpCode = 0, .sent = false, .retryAfter = {}, .eviction = true})
                  .has_value());
}

TEST_F(RetryPolicyTest, ServiceUnavailableBacksOffExponentiallyWithCap) {
  std::vector<milliseconds> got;
  for (int n = 1; n <= 5; ++n) {
    auto d =
        delay(Verb::kList,
              {.number = n, .httpCode = 503, .sent = true, .retryAfter = {}, .eviction = false});
    ASSERT_TRUE(d.has_value()) << n;
    got.push_back(*d);
  }
  EXPECT_EQ(got, (std::vector<milliseconds>{100ms, 200ms, 400ms, 800ms, 1000ms}));
}

TEST_F(RetryPolicyTest, JitterSpreadsWithinBounds) {
  const FailedAttempt f{
      .number = 3, .httpCode = 503, .sent = true, .retryAfter = {}, .eviction = false};
  EXPECT_EQ(delay(Verb::kGet, f, 0.0), 300ms);    // 400 * 0.75
  EXPECT_EQ(delay(Verb::kGet, f, 0.999), 500ms);  // 400 * ~1.25
}

TEST_F(RetryPolicyTest, NonIdempotentVerbsRetry5xxOnlyWithRetryAfter) {
  const FailedAttempt plain{
      .number = 1, .httpCode = 500, .sent = true, .retryAfter = {}, .eviction = false};
  EXPECT_FALSE(delay(Verb::kCreate, plain).has_value());
  EXPECT_FALSE(delay(Verb::kPatch, plain).has_value());
  EXPECT_TRUE(delay(Verb::kReplace, plain).has_value());
  EXPECT_TRUE(delay(Verb::kDelete, plain).has_value());
  FailedAttempt told = plain;
  told.httpCode = 503;
  told.retryAfter = 2s;
  EXPECT_EQ(delay(Verb::kCreate, told), 2000ms);
}

TEST_F(RetryPolicyTest, ConnectionFailures) {
  const FailedAttempt notSent{
      .number = 1, .httpCode = 0, .sent = false, .retryAfter = {}, .eviction = false};
  const FailedAttempt sent{
      .number = 1, .httpCode = 0, .sent = true, .retryAfter = {}, .eviction = false};
  EXPECT_TRUE(delay(Verb::kGet, sent).has_value());
  EXPECT_TRUE(delay(Verb::kWatch, sent).has_value());
  EXPECT_TRUE(delay(Verb::kCreate, notSent).has_value());
  EXPECT_TRUE(delay(Verb::kPatch, notSent).has_value());
  EXPECT_FALSE(delay(Verb::kCreate, sent).has_value());  // it may have been created
  EXPECT_FALSE(delay(Verb::kPatch, sent).has_value());
}

TEST_F(RetryPolicyTest, ClientErrorsAreAnswersNotFailures) {
  for (int code : {400, 401, 403, 404, 409, 410, 422, 501, 505}) {
    EXPECT_FALSE(RetryPolicy::retryable(
        Verb::kGet,
        {.number = 1, .httpCode = code, .sent = true, .retryAfter = 1s, .eviction = false}))
        << code;
  }
}

TEST_F(RetryPolicyTest, GivesUpAfterMaxAttempts) {
  EXPECT_TRUE(
      delay(Verb::kGet,
            {.number = 5, .httpCode = 503, .sent = true, .retryAfter = {}, .eviction = false})
          .has_value());
  EXPECT_FALSE(
      delay(Verb::kGet,
            {.number = 6, .httpCode = 503, .sent = true, .retryAfter = {}, .eviction = false})
          .has_value());
}

TEST_F(RetryPolicyTest, NeverWaitsPastTheDeadline) {
  deadline = clock.steadyNow() + 5s;
  const FailedAttempt longWait{
      .number = 1, .httpCode = 429, .sent = true, .retryAfter = 10s, .eviction = false};
  EXPECT_FALSE(delay(Verb::kGet, longWait).has_value());
  const FailedAttempt shortWait{
      .number = 1, .httpCode = 429, .sent = true, .retryAfter = 4s, .eviction = false};
  EXPECT_TRUE(delay(Verb::kGet, shortWait).has_value());
  clock.advance(1500ms);
  EXPECT_FALSE(delay(Verb::kGet, shortWait).has_value());  // 1.5 + 4 > 5
}

TEST_F(RetryPolicyTest, DeadlineExhaustionBoundsTheNumberOfRetries) {
  // Simulates a call against an always-503 server: sleep by advancing the clock.
  RetryPolicy generous{RetryOptions{
      .maxAttempts = 100, .initialBackoff = 100ms, .maxBackoff = 1000ms, .jitter = 0.25}};
  deadline = clock.steadyNow() + 3s;
  int attempts = 1;
  for (;; ++attempts) {
    auto d = generous.retryDelay(
        Verb::kGet,
        {.number = attempts, .httpCode = 503, .sent = true, .retryAfter = {}, .eviction = false},
        clock.steadyNow(), deadline, 0.5);
    if (!d) break;
    clock.advance(*d);
  }
  // 100 + 200 + 400 + 800 + 1000 = 2500 ms waited; another 1000 would pass 3 s.
  EXPECT_EQ(attempts, 6);
  EXPECT_LT(clock.steadyNow(), deadline);
}

TEST(VerbTest, MethodsAndIdempotency) {
  EXPECT_STREQ(httpMethod(Verb::kWatch), "GET");
  EXPECT_STREQ(httpMethod(Verb::kCreate), "POST");
  EXPECT_STREQ(httpMethod(Verb::kReplace), "PUT");
  EXPECT_STREQ(httpMethod(Verb::kPatch), "PATCH");
  EXPECT_STREQ(httpMethod(Verb::kDelete), "DELETE");
  EXPECT_TRUE(isIdempotent(Verb::kDelete));
  EXPECT_FALSE(isIdempotent(Verb::kCreate));
}

}  // namespace
}  // namespace lg::kube
