// annotate: leakguard.io/* annotations on the pod, and nothing else.

#include "controllers/actions/annotate_action.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/unit/actions/action_test_support.h"

namespace lg::actions {
namespace {

using namespace testing;

TEST(AnnotateAction, PutsLeakGuardAnnotationsOnThePod) {
  lg::testing::FakeApiClient fake;
  fake.put(ref("", "pods"), pod("checkout-1"));
  auto s = step("annotate");
  const auto t = target();
  ActionContext ctx{
      .api = &fake, .step = &s, .target = &t, .now = 1, .timeout = {}, .leakingRevisions = {}};
  AnnotateAction a;
  const auto plan = a.prepare(ctx);
  EXPECT_EQ(plan.message,
            "annotate pod checkout-1 leakguard.io/incident=checkout-1-20260101, "
            "leakguard.io/leak=app: memory +3.1Mi/min, limit reached in 41m");
  EXPECT_EQ(fake.callCount("patch"), 0u);
  EXPECT_EQ(a.run(ctx, plan).outcome, ActionResult::Outcome::kSucceeded);
  EXPECT_EQ(a.run(ctx, plan).outcome, ActionResult::Outcome::kSucceeded);  // idempotent
  const auto p = *fake.object(ref("", "pods"), "shop", "checkout-1");
  EXPECT_EQ(p["metadata"]["annotations"]["leakguard.io/incident"], "checkout-1-20260101");
  EXPECT_EQ(p["spec"]["containers"].size(), 2u);
  fake.erase(ref("", "pods"), "shop", "checkout-1");
  EXPECT_EQ(a.run(ctx, plan).outcome, ActionResult::Outcome::kSkipped);
  EXPECT_THAT(undeclaredCalls(fake, a), ::testing::IsEmpty());
}

}  // namespace
}  // namespace lg::actions
