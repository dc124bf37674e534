#include "operator/runtime/container_id.h"

#include <gtest/gtest.h>

#include <vector>

namespace lg::runtime {
namespace {

const std::string kHash = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";

TEST(ContainerIdTest, PacksRuntimeIdsWithoutAHeapBlock) {
  StringInterner in;
  for (const std::string& scheme : std::vector<std::string>{"containerd", "cri-o", "docker"}) {
    const ContainerId id = ContainerId::parse(scheme + "://" + kHash, in);
    EXPECT_EQ(id.str(), scheme + "://" + kHash);
    EXPECT_EQ(id.scheme(), scheme);
    EXPECT_EQ(id.heapBytes(), 0u);
    EXPECT_FALSE(id.empty());
  }
  EXPECT_EQ(ContainerId::parse("containerd://" + kHash, in),
            ContainerId::parse("containerd://" + kHash, in));
  EXPECT_FALSE(ContainerId::parse("containerd://" + kHash, in) ==
               ContainerId::parse("cri-o://" + kHash, in));
}

TEST(ContainerIdTest, OtherFormsAreKeptVerbatim) {
  StringInterner in;
  std::string upper = kHash;
  upper[0] = 'F';
  for (const std::string& s : {std::string("containerd://short"), "containerd://" + upper,
                               "://" + kHash, std::string("no-scheme"), "x://" + kHash + "0"}) {
    const ContainerId id = ContainerId::parse(s, in);
    EXPECT_EQ(id.str(), s);
    EXPECT_EQ(id.scheme(), "");
    EXPECT_FALSE(id.empty());
  }
}

TEST(ContainerIdTest, Empty) {
  EXPECT_TRUE(ContainerId().empty());
  EXPECT_TRUE(ContainerId::parse("").empty());
  EXPECT_EQ(ContainerId().str(), "");
}

}  // namespace
}  // namespace lg::runtime
