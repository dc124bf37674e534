// parseNamespaceList: what `--namespaces` and the chart's watchNamespaces accept.

#include "operator/cli/namespace_list.h"

#include <gtest/gtest.h>

namespace lg::cli {
namespace {

using V = std::vector<std::string>;

TEST(NamespaceList, EmptyMeansEveryNamespace) {
  EXPECT_EQ(*parseNamespaceList(""), V{});
  EXPECT_EQ(*parseNamespaceList("  "), V{});
}

TEST(NamespaceList, SplitsTrimsSortsAndDropsDuplicates) {
  EXPECT_EQ(*parseNamespaceList("shop"), V{"shop"});
  EXPECT_EQ(*parseNamespaceList("shop, billing,shop ,a-1"), (V{"a-1", "billing", "shop"}));
}

TEST(NamespaceList, AnEmptyItemIsAnError) {
  auto r = parseNamespaceList("a,,b");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("empty namespace name"), std::string::npos);
  EXPECT_FALSE(parseNamespaceList("a,"));
}

TEST(NamespaceList, NamesThatAreNotNamespacesAreErrorsNamingThem) {
  for (const char* bad : {"Shop", "-a", "a-", "a_b", "a.b", "ns/x"}) {
    auto r = parseNamespaceList(std::string("ok,") + bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().message.find(std::string("\"") + bad + "\""), std::string::npos)
        << r.error().message;
  }
  EXPECT_TRUE(parseNamespaceList(std::string(63, 'a')));
  EXPECT_FALSE(parseNamespaceList(std::string(64, 'a')));
}

}  // namespace
}  // namespace lg::cli
