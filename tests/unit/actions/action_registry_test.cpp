// The registry finds every shipped action by the name a LeakPolicy step uses.

#include "controllers/actions/action_registry.h"

#include <gtest/gtest.h>

#include "controllers/actions/default_actions.h"
#include "controllers/actions/event_action.h"

namespace lg::actions {
namespace {

class NoFetch final : public HttpFetcher {
 public:
  Result<FetchResponse> get(const FetchRequest&) override { return makeError("no network"); }
};

TEST(ActionRegistry, EveryActionIsFoundByItsPolicyName) {
  NoFetch fetcher;
  ActionRegistry r;
  registerDefaultActions(r, fetcher);
  EXPECT_EQ(r.size(), 8u);
  for (const char* name : {"captureDiagnostics", "resizeLimits", "restart", "reschedule",
                           "rollback", "enforceQuota", "event", "annotate"}) {
    const Action* a = r.find(name);
    ASSERT_NE(a, nullptr) << name;
    EXPECT_EQ(a->name(), name);
    EXPECT_EQ(r.find(*policy::parseActionKind(name)), a);
  }
  EXPECT_EQ(r.find("reboot"), nullptr);
}

TEST(ActionRegistry, ALaterRegistrationReplacesTheEarlier) {
  ActionRegistry r;
  r.add(std::make_unique<EventAction>());
  const Action* first = r.find("event");
  r.add(std::make_unique<EventAction>());
  EXPECT_EQ(r.size(), 1u);
  EXPECT_NE(r.find("event"), first);
  r.add(nullptr);
  EXPECT_EQ(r.size(), 1u);
}

}  // namespace
}  // namespace lg::actions
