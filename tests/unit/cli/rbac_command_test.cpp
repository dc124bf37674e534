#include "operator/cli/rbac_command.h"

#include <gtest/gtest.h>

#include "controllers/actions/beast_http_fetcher.h"
#include "controllers/actions/default_actions.h"
#include "operator/cli/comma_list.h"

namespace lg::cli {
namespace {

struct Registry {
  actions::BeastHttpFetcher fetcher;
  actions::ActionRegistry registry;
  Registry() { actions::registerDefaultActions(registry, fetcher); }
};

TEST(CommaList, SplitsAndTrims) {
  EXPECT_EQ(splitCommaList(" a, b\t,c "), (std::vector<std::string_view>{"a", "b", "c"}));
  EXPECT_EQ(splitCommaList("a,,b"), (std::vector<std::string_view>{"a", "", "b"}));
  EXPECT_EQ(splitCommaList("a,"), (std::vector<std::string_view>{"a", ""}));
  EXPECT_TRUE(splitCommaList("  ").empty());
  EXPECT_TRUE(splitCommaList("").empty());
}

TEST(EnableActions, AllNoneOrNames) {
  Registry all;
  ASSERT_TRUE(enableActions(all.registry, " all ").ok());
  EXPECT_TRUE(all.registry.knows("rollback"));
  Registry none;
  ASSERT_TRUE(enableActions(none.registry, "none").ok());
  EXPECT_FALSE(none.registry.knows("restart"));
  Registry some;
  ASSERT_TRUE(enableActions(some.registry, "restart, event").ok());
  EXPECT_TRUE(some.registry.knows("restart"));
  EXPECT_TRUE(some.registry.knows("event"));
  EXPECT_FALSE(some.registry.knows("rollback"));
}

TEST(EnableActions, BadListsAreRefusedSayingWhy) {
  for (const char* bad : {"", "  ", "restart,,event", "restart,"}) {
    Registry r;
    auto st = enableActions(r.registry, bad);
    ASSERT_FALSE(st.ok()) << '"' << bad << '"';
    EXPECT_NE(st.error().message.find("--actions"), std::string::npos) << st.error().message;
  }
  Registry r;
  auto st = enableActions(r.registry, "restart,bogus");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("no action \"bogus\""), std::string::npos);
}

}  // namespace
}  // namespace lg::cli
