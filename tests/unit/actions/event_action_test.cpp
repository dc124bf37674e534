// event: records only; the reason comes from the step.

#include "controllers/actions/event_action.h"

#include <gtest/gtest.h>

#include "tests/unit/actions/action_test_support.h"

namespace lg::actions {
namespace {

using namespace testing;

TEST(EventAction, RecordsOnlyWithTheStepsReason) {
  lg::testing::FakeApiClient fake;
  auto s = step("event");
  const auto t = target();
  ActionContext ctx{
      .api = &fake, .step = &s, .target = &t, .now = 1, .timeout = {}, .leakingRevisions = {}};
  EventAction a;
  EXPECT_EQ(a.prepare(ctx).message,
            "record Event LeakConfirmed on pod checkout-1, its owner and the policy");
  auto r = a.run(ctx, a.prepare(ctx));
  EXPECT_EQ(r.eventReason, "LeakConfirmed");
  EXPECT_EQ(r.message, "memory +3.1Mi/min, limit reached in 41m; incident checkout-1-20260101");
  s.params["reason"] = "PagedOnCall";
  EXPECT_EQ(a.run(ctx, a.prepare(ctx)).eventReason, "PagedOnCall");
  EXPECT_TRUE(fake.calls().empty());
}

}  // namespace
}  // namespace lg::actions
