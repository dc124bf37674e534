#include "controllers/agent/cgroup_layout.h"

#include <gtest/gtest.h>

#include "tests/unit/agent/cgroup_fixture.h"

namespace lg::agent {
namespace {

using testing::TempDir;

TEST(CgroupLayout, DetectsV1AndV2) {
  TempDir dir;
  testing::makeV1Root(dir, "v1");
  testing::makeV2Root(dir, "v2");
  auto v1 = detectCgroupLayout(dir.file("v1"));
  ASSERT_TRUE(v1.ok()) << v1.error().message;
  EXPECT_EQ(v1->version, 1);
  EXPECT_EQ(v1->memoryDir("/a/b"), dir.file("v1/memory/a/b"));
  EXPECT_EQ(v1->pidsDir("a/b/"), dir.file("v1/pids/a/b"));
  auto v2 = detectCgroupLayout(dir.file("v2") + "/");
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ(v2->version, 2);
  EXPECT_EQ(v2->memoryDir("/a"), dir.file("v2/a"));
  EXPECT_EQ(v2->memoryDir("/"), dir.file("v2"));
  auto none = detectCgroupLayout(dir.path());
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().message.find("no cgroup hierarchy"), std::string::npos);
  EXPECT_FALSE(detectCgroupLayout(dir.file("missing")).ok());
}

TEST(CgroupLayout, Normalize) {
  EXPECT_EQ(normalizeCgroupPath(""), "/");
  EXPECT_EQ(normalizeCgroupPath("/"), "/");
  EXPECT_EQ(normalizeCgroupPath("a//b/"), "/a/b");
  EXPECT_EQ(joinCgroupDir("/sys/fs/cgroup/memory", "/"), "/sys/fs/cgroup/memory");
}

TEST(CgroupLayout, ResolvesWhatTheUserNames) {
  TempDir dir;
  testing::makeV1Root(dir, "cg");
  testing::writeV1Cgroup(dir, "cg", "/a/b", {});
  dir.write("cg/pids/only-pids/pids.current", "1\n");
  auto layout = detectCgroupLayout(dir.file("cg"));
  ASSERT_TRUE(layout.ok());
  EXPECT_EQ(*resolveCgroupPath(*layout, "/a/b"), "/a/b");
  EXPECT_EQ(*resolveCgroupPath(*layout, "a/b"), "/a/b");
  EXPECT_EQ(*resolveCgroupPath(*layout, dir.file("cg/memory/a/b")), "/a/b");
  EXPECT_EQ(*resolveCgroupPath(*layout, dir.file("cg/pids/a/b")), "/a/b");
  // Another v1 hierarchy's directory names the same cgroup path.
  EXPECT_EQ(*resolveCgroupPath(*layout, dir.file("cg/cpu,cpuacct/a/b")), "/a/b");
  EXPECT_EQ(*resolveCgroupPath(*layout, "/only-pids"), "/only-pids");
  auto missing = resolveCgroupPath(*layout, "/a/c");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("/a/c"), std::string::npos);
}

}  // namespace
}  // namespace lg::agent
