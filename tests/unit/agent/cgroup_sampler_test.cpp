#include "controllers/agent/cgroup_sampler.h"

#include <gtest/gtest.h>

#include <sstream>

#include "operator/util/logger.h"
#include "tests/unit/agent/cgroup_fixture.h"

namespace lg::agent {
namespace {

using testing::MemoryFixture;
using testing::TempDir;

// Captures the log for one test.
class LogCapture {
 public:
  LogCapture() {
    Logger::instance().setStream(&out_);
    Logger::instance().setLevel(LogLevel::debug);
  }
  ~LogCapture() {
    Logger::instance().setStream(nullptr);
    Logger::instance().setLevel(LogLevel::info);
  }
  std::string text() const { return out_.str(); }

 private:
  std::ostringstream out_;
};

const std::string kPath =
    "/kubepods/burstable/pod22222222-2222-2222-2222-222222222222/" + std::string(64, 'c');

TEST(CgroupSampler, V1AllFields) {
  TempDir dir;
  testing::makeV1Root(dir, "cg");
  MemoryFixture m;
  testing::writeV1Cgroup(dir, "cg", kPath, m, {10, 11});
  testing::writeProc(dir, "proc", 10, 3, 5, "1024");
  testing::writeProc(dir, "proc", 11, 2, 8, "2048");
  auto layout = detectCgroupLayout(dir.file("cg"));
  CgroupSampler sampler(*layout, {.procRoot = dir.file("proc")});
  CgroupSample s;
  ReadProblems problems;
  sampler.sample(kPath, s, problems);
  EXPECT_TRUE(problems.empty()) << problems.front().file << ": " << problems.front().reason;
  EXPECT_EQ(s.version, 1);
  EXPECT_EQ(s.cgroup, kPath);
  EXPECT_EQ(*s.memory.usage, m.usage);
  EXPECT_EQ(*s.memory.workingSet, m.usage - m.inactiveFile);
  EXPECT_EQ(*s.memory.anon, m.anon);
  EXPECT_EQ(*s.memory.file, m.file);
  EXPECT_EQ(*s.memory.shmem, m.shmem);
  EXPECT_EQ(*s.memory.inactiveFile, m.inactiveFile);
  EXPECT_EQ(*s.memory.activeFile, m.activeFile);
  EXPECT_EQ(*s.memory.mappedFile, m.mappedFile);
  EXPECT_EQ(*s.memory.kernel, m.kernel);
  EXPECT_EQ(*s.memory.limit, m.limit);
  EXPECT_EQ(*s.memory.hierarchicalLimit, m.limit);
  EXPECT_EQ(*s.memory.failcnt, m.failcnt);
  EXPECT_EQ(*s.memory.oomKill, m.oomKill);
  EXPECT_FALSE(*s.memory.underOom);
  EXPECT_FALSE(s.memory.oomEvents.has_value());  // v2 only
  EXPECT_FALSE(s.memory.pressure.some.has_value());
  EXPECT_EQ(*s.pids.current, m.pidsCurrent);
  EXPECT_EQ(*s.pids.max, 0u);  // "max"
  EXPECT_EQ(*s.processes.processes, 2u);
  EXPECT_EQ(*s.processes.threads, 5u);
  EXPECT_EQ(*s.processes.fdsMax, 8u);
  EXPECT_EQ(*s.processes.fdsSoftLimit, 2048u);
}

TEST(CgroupSampler, V2AllFields) {
  TempDir dir;
  testing::makeV2Root(dir, "cg");
  MemoryFixture m;
  m.limit = 0;  // "max"
  m.pidsMax = 100;
  testing::writeV2Cgroup(dir, "cg", kPath, m, {10});
  testing::writeProc(dir, "proc", 10, 4, 6, "unlimited");
  auto layout = detectCgroupLayout(dir.file("cg"));
  CgroupSampler sampler(*layout, {.procRoot = dir.file("proc")});
  CgroupSample s;
  ReadProblems problems;
  sampler.sample(kPath, s, problems);
  EXPECT_TRUE(problems.empty());
  EXPECT_EQ(s.version, 2);
  EXPECT_EQ(*s.memory.usage, m.usage);
  EXPECT_EQ(*s.memory.workingSet, m.usage - m.inactiveFile);
  EXPECT_EQ(*s.memory.anon, m.anon);
  EXPECT_EQ(*s.memory.shmem, m.shmem);
  EXPECT_EQ(*s.memory.kernel, m.kernel);
  EXPECT_EQ(*s.memory.limit, 0u);
  EXPECT_EQ(*s.memory.maxEvents, m.failcnt);
  EXPECT_EQ(*s.memory.highEvents, 2u);
  EXPECT_EQ(*s.memory.oomEvents, 3u);
  EXPECT_EQ(*s.memory.oomKill, m.oomKill);
  EXPECT_FALSE(s.memory.failcnt.has_value());  // v1 only
  ASSERT_TRUE(s.memory.pressure.some && s.memory.pressure.full);
  EXPECT_DOUBLE_EQ(s.memory.pressure.some->avg10, 1.5);
  EXPECT_EQ(s.memory.pressure.full->totalUs, 6543u);
  EXPECT_EQ(*s.pids.max, 100u);
  EXPECT_EQ(*s.processes.threads, 4u);
  EXPECT_EQ(*s.processes.fdsSoftLimit, 0u);  // unlimited
}

TEST(CgroupSampler, WorkingSetIsClampedAtZero) {
  TempDir dir;
  testing::makeV2Root(dir, "cg");
  MemoryFixture m;
  m.usage = 10;
  m.inactiveFile = 20;  // usage is approximate: inactive file can exceed it briefly
  testing::writeV2Cgroup(dir, "cg", "/a", m);
  CgroupSampler sampler(*detectCgroupLayout(dir.file("cg")), {.procRoot = dir.path()});
  CgroupSample s;
  ReadProblems problems;
  sampler.sample("/a", s, problems);
  EXPECT_EQ(*s.memory.workingSet, 0u);
}

TEST(CgroupSampler, MissingFilesGiveNullsAndALoggedReason) {
  LogCapture log;
  TempDir dir;
  testing::makeV1Root(dir, "cg");
  MemoryFixture m;
  testing::writeV1Cgroup(dir, "cg", kPath, m);
  std::filesystem::remove(dir.file("cg/memory" + kPath + "/memory.stat"));
  std::filesystem::remove_all(dir.file("cg/pids" + kPath));
  CgroupSampler sampler(*detectCgroupLayout(dir.file("cg")), {.procRoot = dir.path()});
  CgroupSample s;
  ReadProblems problems;
  sampler.sample(kPath, s, problems);
  EXPECT_EQ(*s.memory.usage, m.usage);
  EXPECT_FALSE(s.memory.anon.has_value());
  EXPECT_FALSE(s.memory.shmem.has_value());
  EXPECT_FALSE(s.memory.workingSet.has_value());  // needs inactive_file
  EXPECT_FALSE(s.pids.current.has_value());
  EXPECT_FALSE(s.pids.max.has_value());
  ASSERT_EQ(problems.size(), 3u);
  EXPECT_NE(problems[0].file.find("memory.stat"), std::string::npos);
  EXPECT_EQ(problems[0].reason, "missing");
  EXPECT_NE(log.text().find("memory.stat"), std::string::npos);
  EXPECT_NE(log.text().find("\"reason\":\"missing\""), std::string::npos);
}

TEST(CgroupSampler, MalformedFilesGiveNullsAndALoggedReasonOnce) {
  LogCapture log;
  TempDir dir;
  testing::makeV2Root(dir, "cg");
  testing::writeV2Cgroup(dir, "cg", "/a", {});
  dir.write("cg/a/memory.current", "lots\n");
  dir.write("cg/a/memory.stat", "anon 1\nfile\n");
  dir.write("cg/a/memory.pressure", "some avg10=1.00\n");
  dir.write("cg/a/memory.max", "");
  dir.write("cg/a/cgroup.procs", "12\nnot-a-pid\n");
  CgroupSampler sampler(*detectCgroupLayout(dir.file("cg")), {.procRoot = dir.path()});
  CgroupSample s;
  ReadProblems problems;
  sampler.sample("/a", s, problems);
  EXPECT_FALSE(s.memory.usage.has_value());
  EXPECT_FALSE(s.memory.anon.has_value());  // the whole file is distrusted
  EXPECT_FALSE(s.memory.limit.has_value());
  EXPECT_FALSE(s.memory.pressure.some.has_value());
  EXPECT_FALSE(s.processes.processes.has_value());
  EXPECT_TRUE(s.memory.oomKill.has_value());  // memory.events is fine
  EXPECT_EQ(problems.size(), 5u);
  for (const auto& p : problems)
    EXPECT_NE(p.reason.find("malformed"), std::string::npos) << p.file;
  const std::string first = log.text();
  EXPECT_NE(first.find("memory.current"), std::string::npos);
  EXPECT_NE(first.find("malformed"), std::string::npos);
  // Logged once per file and reason, however many samples see it.
  problems.clear();
  sampler.sample("/a", s, problems);
  EXPECT_EQ(problems.size(), 5u);
  EXPECT_EQ(log.text(), first);
}

TEST(CgroupSampler, AVanishedCgroupIsAllNullsNeverACrash) {
  TempDir dir;
  testing::makeV1Root(dir, "cg");
  CgroupSampler sampler(*detectCgroupLayout(dir.file("cg")), {.procRoot = dir.path()});
  EXPECT_FALSE(sampler.exists("/gone"));
  CgroupSample s;
  ReadProblems problems;
  sampler.sample("/gone", s, problems);
  EXPECT_FALSE(s.memory.usage.has_value());
  EXPECT_FALSE(s.processes.processes.has_value());
  EXPECT_FALSE(problems.empty());
  ReadProblems p2;
  EXPECT_FALSE(sampler.oomKillCounter("/gone", p2).has_value());
}

TEST(CgroupSampler, OomKillCounterOfAnyCgroup) {
  TempDir dir;
  testing::makeV2Root(dir, "cg");
  MemoryFixture m;
  m.oomKill = 4;
  testing::writeV2Cgroup(dir, "cg", "/pod", m);
  CgroupSampler sampler(*detectCgroupLayout(dir.file("cg")), {.procRoot = dir.path()});
  ReadProblems problems;
  EXPECT_EQ(*sampler.oomKillCounter("/pod", problems), 4u);
}

}  // namespace
}  // namespace lg::agent
