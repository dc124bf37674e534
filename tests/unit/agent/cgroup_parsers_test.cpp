#include "controllers/agent/cgroup_parsers.h"

#include <gtest/gtest.h>

namespace lg::agent {
namespace {

TEST(CgroupParsers, SingleValues) {
  EXPECT_EQ(*parseSingleValue("12345\n"), 12345u);
  EXPECT_EQ(*parseSingleValue(" 0 "), 0u);
  EXPECT_FALSE(parseSingleValue("").ok());
  EXPECT_FALSE(parseSingleValue("12a\n").ok());
  EXPECT_FALSE(parseSingleValue("-1\n").ok());
  EXPECT_NE(parseSingleValue("x").error().message.find("malformed"), std::string::npos);
}

TEST(CgroupParsers, V1LimitTreatsTheHugeSentinelAsNoLimit) {
  EXPECT_EQ(*parseV1Limit("9223372036854771712\n"), 0u);
  EXPECT_EQ(*parseV1Limit("4611686018427387904\n"), 0u);  // 2^62
  EXPECT_EQ(*parseV1Limit("268435456\n"), 268435456u);
  EXPECT_FALSE(parseV1Limit("max\n").ok());
}

TEST(CgroupParsers, MaxOrValue) {
  EXPECT_EQ(*parseMaxOrValue("max\n"), 0u);
  EXPECT_EQ(*parseMaxOrValue("67108864\n"), 67108864u);
  EXPECT_FALSE(parseMaxOrValue("maximum\n").ok());
  EXPECT_FALSE(parseMaxOrValue("\n").ok());
}

TEST(CgroupParsers, V1MemoryStatPrefersHierarchicalTotals) {
  auto s = parseV1MemoryStat(
      "cache 10\nrss 20\nshmem 1\nmapped_file 2\ninactive_file 3\nactive_file 4\n"
      "hierarchical_memory_limit 9223372036854771712\n"
      "total_cache 100\ntotal_rss 200\ntotal_shmem 11\ntotal_mapped_file 22\n"
      "total_inactive_file 33\ntotal_active_file 44\n");
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(*s->rss, 200u);
  EXPECT_EQ(*s->cache, 100u);
  EXPECT_EQ(*s->shmem, 11u);
  EXPECT_EQ(*s->mappedFile, 22u);
  EXPECT_EQ(*s->inactiveFile, 33u);
  EXPECT_EQ(*s->activeFile, 44u);
  EXPECT_EQ(*s->hierarchicalLimit, 0u);  // no limit anywhere up the tree
}

TEST(CgroupParsers, V1MemoryStatFallsBackToLocalKeys) {
  auto s = parseV1MemoryStat(
      "cache 10\nrss 20\nshmem 1\ninactive_file 3\n"
      "hierarchical_memory_limit 1048576\n");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s->rss, 20u);
  EXPECT_EQ(*s->shmem, 1u);
  EXPECT_EQ(*s->hierarchicalLimit, 1048576u);
  EXPECT_FALSE(s->activeFile.has_value());
}

TEST(CgroupParsers, KeyedFilesRejectMalformedLines) {
  EXPECT_FALSE(parseV1MemoryStat("cache 10\nrss\n").ok());
  EXPECT_FALSE(parseV1MemoryStat("cache ten\n").ok());
  EXPECT_FALSE(parseV2MemoryStat(" 5\n").ok());
  EXPECT_FALSE(parseV2MemoryEvents("oom_kill -1\n").ok());
  EXPECT_FALSE(parseV1OomControl("under_oom yes\n").ok());
  // Empty is well-formed (every field null).
  auto empty = parseV2MemoryStat("");
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(empty->anon.has_value());
}

TEST(CgroupParsers, V2MemoryStatAndEvents) {
  auto s = parseV2MemoryStat(
      "anon 1\nfile 2\nkernel 3\nshmem 4\nfile_mapped 5\n"
      "inactive_file 6\nactive_file 7\nunknown_new_key 8\n");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s->anon, 1u);
  EXPECT_EQ(*s->file, 2u);
  EXPECT_EQ(*s->kernel, 3u);
  EXPECT_EQ(*s->shmem, 4u);
  EXPECT_EQ(*s->fileMapped, 5u);
  EXPECT_EQ(*s->inactiveFile, 6u);
  EXPECT_EQ(*s->activeFile, 7u);
  auto e = parseV2MemoryEvents("low 0\nhigh 1\nmax 2\noom 3\noom_kill 4\noom_group_kill 0\n");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(*e->high, 1u);
  EXPECT_EQ(*e->max, 2u);
  EXPECT_EQ(*e->oom, 3u);
  EXPECT_EQ(*e->oomKill, 4u);
}

TEST(CgroupParsers, V1OomControl) {
  auto o = parseV1OomControl("oom_kill_disable 0\nunder_oom 1\noom_kill 5\n");
  ASSERT_TRUE(o.ok());
  EXPECT_FALSE(*o->oomKillDisable);
  EXPECT_TRUE(*o->underOom);
  EXPECT_EQ(*o->oomKill, 5u);
  // Kernels before 4.13 have no oom_kill line.
  auto old = parseV1OomControl("oom_kill_disable 0\nunder_oom 0\n");
  ASSERT_TRUE(old.ok());
  EXPECT_FALSE(old->oomKill.has_value());
}

TEST(CgroupParsers, Pressure) {
  auto p = parsePressure(
      "some avg10=1.50 avg60=0.75 avg300=0.10 total=123456\n"
      "full avg10=0.50 avg60=0.25 avg300=0.00 total=6543\n");
  ASSERT_TRUE(p.ok()) << p.error().message;
  ASSERT_TRUE(p->some && p->full);
  EXPECT_DOUBLE_EQ(p->some->avg10, 1.5);
  EXPECT_DOUBLE_EQ(p->some->avg60, 0.75);
  EXPECT_DOUBLE_EQ(p->some->avg300, 0.1);
  EXPECT_EQ(p->some->totalUs, 123456u);
  EXPECT_EQ(p->full->totalUs, 6543u);
  // Only "some" (the cpu.pressure of old kernels has no "full"): accepted.
  EXPECT_TRUE(parsePressure("some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n").ok());
  EXPECT_FALSE(parsePressure("").ok());
  EXPECT_FALSE(parsePressure("some avg10=x avg60=0.00 avg300=0.00 total=0\n").ok());
  EXPECT_FALSE(parsePressure("some avg10=0.00 avg60=0.00 total=0\n").ok());
  EXPECT_FALSE(parsePressure("most avg10=0.00 avg60=0.00 avg300=0.00 total=0\n").ok());
}

TEST(CgroupParsers, PidList) {
  std::vector<std::int64_t> pids{99};
  ASSERT_TRUE(parsePidList("12\n345\n\n6\n", pids).ok());
  EXPECT_EQ(pids, (std::vector<std::int64_t>{12, 345, 6}));
  ASSERT_TRUE(parsePidList("", pids).ok());
  EXPECT_TRUE(pids.empty());
  EXPECT_FALSE(parsePidList("12\nabc\n", pids).ok());
  EXPECT_FALSE(parsePidList("0\n", pids).ok());
}

}  // namespace
}  // namespace lg::agent
