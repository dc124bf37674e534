#include "controllers/agent/proc_reader.h"

#include <gtest/gtest.h>

#include "tests/fakes/fake_clock.h"
#include "tests/unit/agent/cgroup_fixture.h"

namespace lg::agent {
namespace {

using testing::TempDir;

TEST(ProcParsers, NoFileSoftLimit) {
  EXPECT_EQ(
      *parseNoFileSoftLimit("Limit  Soft Limit  Hard Limit  Units\n"
                            "Max open files            1024                 524288   files\n"),
      1024u);
  EXPECT_EQ(*parseNoFileSoftLimit("Max open files  unlimited  unlimited  files\n"), 0u);
  EXPECT_FALSE(parseNoFileSoftLimit("Max processes 100 100 processes\n").ok());
  EXPECT_FALSE(parseNoFileSoftLimit("Max open files  lots  1024  files\n").ok());
}

TEST(ProcParsers, StatusThreads) {
  EXPECT_EQ(*parseStatusThreads("Name:\tx\nThreads:\t17\nSigQ:\t0/1\n"), 17u);
  EXPECT_FALSE(parseStatusThreads("Name:\tx\n").ok());
  EXPECT_FALSE(parseStatusThreads("Threads:\tmany\n").ok());
}

TEST(ProcReader, TheProcessWithTheMostFdsAndItsOwnLimit) {
  TempDir dir;
  testing::writeProc(dir, "proc", 10, 3, 5, "1024");
  testing::writeProc(dir, "proc", 11, 7, 40, "4096");  // most fds, its own limit
  testing::writeProc(dir, "proc", 12, 1, 2, "64");     // lowest limit, not the max
  ProcReader reader({.procRoot = dir.file("proc")});
  FileReader files;
  ReadProblems problems;
  ProcessStats s = reader.read({10, 11, 12}, files, problems);
  EXPECT_TRUE(problems.empty());
  EXPECT_EQ(*s.processes, 3u);
  EXPECT_EQ(*s.threads, 11u);
  EXPECT_EQ(*s.fdsTotal, 47u);
  EXPECT_EQ(*s.fdsMax, 40u);
  EXPECT_EQ(*s.fdsMaxPid, 11);
  EXPECT_EQ(*s.fdsSoftLimit, 4096u);
  EXPECT_EQ(s.unreadable, 0u);
}

TEST(ProcReader, EmptyCgroupGivesZeros) {
  TempDir dir;
  ProcReader reader({.procRoot = dir.path()});
  FileReader files;
  ReadProblems problems;
  ProcessStats s = reader.read({}, files, problems);
  EXPECT_EQ(*s.processes, 0u);
  EXPECT_EQ(*s.threads, 0u);
  EXPECT_EQ(*s.fdsMax, 0u);
  EXPECT_FALSE(s.fdsSoftLimit.has_value());
}

TEST(ProcReader, GoneProcessesAreSkippedMalformedOnesNamed) {
  TempDir dir;
  testing::writeProc(dir, "proc", 10, 2, 3);
  testing::writeProc(dir, "proc", 11, 2, 9);
  dir.write("proc/11/status", "Name:\tbroken\n");          // no Threads line
  dir.write("proc/11/limits", "Max open files   lots\n");  // malformed limit
  ProcReader reader({.procRoot = dir.file("proc")});
  FileReader files;
  ReadProblems problems;
  ProcessStats s = reader.read({10, 11, 99 /* exited */}, files, problems);
  EXPECT_EQ(*s.processes, 2u);
  EXPECT_EQ(*s.threads, 2u);  // only the readable one
  EXPECT_EQ(*s.fdsMax, 9u);
  EXPECT_FALSE(s.fdsSoftLimit.has_value());  // its limit could not be read
  EXPECT_EQ(s.unreadable, 1u);
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_NE(problems[0].file.find("/11/status"), std::string::npos);
  EXPECT_NE(problems[0].reason.find("Threads"), std::string::npos);
  EXPECT_NE(problems[1].file.find("/11/limits"), std::string::npos);
}

TEST(ProcReader, NothingReadableGivesNulls) {
  TempDir dir;
  dir.write("proc/10/status", "garbage");
  ProcReader reader({.procRoot = dir.file("proc")});
  FileReader files;
  ReadProblems problems;
  ProcessStats s = reader.read({10}, files, problems);
  EXPECT_FALSE(s.threads.has_value());
  EXPECT_FALSE(s.fdsMax.has_value());  // no fd directory
  EXPECT_FALSE(problems.empty());
}

TEST(ProcReader, LimitsAreCachedForTheirMaxAge) {
  TempDir dir;
  testing::writeProc(dir, "proc", 10, 1, 4, "100");
  lg::testing::FakeClock clock;
  ProcReader reader({.procRoot = dir.file("proc"), .limitsMaxAge = std::chrono::seconds(60)},
                    clock);
  FileReader files;
  ReadProblems problems;
  EXPECT_EQ(*reader.read({10}, files, problems).fdsSoftLimit, 100u);
  testing::writeProc(dir, "proc", 10, 1, 4, "200");
  clock.advance(std::chrono::seconds(30));
  EXPECT_EQ(*reader.read({10}, files, problems).fdsSoftLimit, 100u);  // cached
  clock.advance(std::chrono::seconds(31));
  EXPECT_EQ(*reader.read({10}, files, problems).fdsSoftLimit, 200u);  // re-read
  EXPECT_EQ(reader.cachedLimits(), 1u);
}

TEST(ProcReader, RealProcOfThisProcess) {
  ProcReader reader;  // /proc
  FileReader files;
  ReadProblems problems;
  const std::int64_t self = ::getpid();
  ProcessStats s = reader.read({self}, files, problems);
  EXPECT_TRUE(problems.empty());
  EXPECT_EQ(*s.processes, 1u);
  EXPECT_GE(*s.threads, 1u);
  ASSERT_TRUE(s.fdsMax.has_value());
  const auto before = *s.fdsMax;
  std::vector<int> fds;
  for (int i = 0; i < 10; ++i)
    fds.push_back(::dup(0));
  s = reader.read({self}, files, problems);
  EXPECT_EQ(*s.fdsMax, before + 10);
  for (int fd : fds)
    ::close(fd);
  EXPECT_GT(*s.fdsSoftLimit, 0u);
}

constexpr std::uint64_t kMiB = 1024 * 1024;

// /proc/<pid>/cmdline or environ: NUL-separated, NUL-terminated.
std::string nul(std::initializer_list<std::string> parts) {
  std::string out;
  for (const auto& p : parts)
    out += p + '\0';
  return out;
}

TEST(ProcReader, TheHeapCapOfTheContainersJvmFromItsCommandLineAndEnvironment) {
  TempDir dir;
  testing::writeProc(dir, "proc", 10, 1, 3);  // a shell that started it
  dir.write("proc/10/cmdline", nul({"/bin/sh", "-c", "java -jar app.jar"}));
  testing::writeProc(dir, "proc", 11, 20, 40);
  dir.write("proc/11/cmdline", nul({"java", "-XX:MaxRAMPercentage=50", "-jar", "app.jar"}));
  dir.write("proc/11/environ", nul({"HOME=/", "JAVA_TOOL_OPTIONS=-Xss512k"}));
  lg::testing::FakeClock clock;
  ProcReader reader({.procRoot = dir.file("proc")}, clock);
  FileReader files;
  ReadProblems problems;
  ProcessStats s = reader.read({10, 11}, files, problems, 1024 * kMiB);
  EXPECT_TRUE(problems.empty());
  ASSERT_TRUE(s.runtime);
  EXPECT_EQ(s.runtime->runtime, "JVM");
  EXPECT_EQ(s.runtime->bytes, 512 * kMiB);
  EXPECT_EQ(s.runtime->setBy, "-XX:MaxRAMPercentage=50 of the 1Gi limit");
  EXPECT_EQ(*s.runtimePid, 11);
  // A resized container: the cap follows its new limit at once.
  s = reader.read({10, 11}, files, problems, 2048 * kMiB);
  ASSERT_TRUE(s.runtime);
  EXPECT_EQ(s.runtime->bytes, 1024 * kMiB);
  // The command line is read again only after limitsMaxAge.
  dir.write("proc/11/cmdline", nul({"java", "-Xmx64m", "Main"}));
  EXPECT_EQ(reader.read({10, 11}, files, problems, 2048 * kMiB).runtime->bytes, 1024 * kMiB);
  clock.advance(std::chrono::seconds(61));
  EXPECT_EQ(reader.read({10, 11}, files, problems, 2048 * kMiB).runtime->bytes, 64 * kMiB);
}

TEST(ProcReader, NoCapForTwoRuntimesInOneContainerAndTheCommandLinesWithoutEnvironment) {
  TempDir dir;
  for (int pid : {10, 11}) {
    testing::writeProc(dir, "proc", pid, 1, 3);
    dir.write("proc/" + std::to_string(pid) + "/cmdline", nul({"node", "worker.js"}));
    dir.write("proc/" + std::to_string(pid) + "/environ", "");
  }
  ProcReader reader({.procRoot = dir.file("proc")});
  FileReader files;
  ReadProblems problems;
  EXPECT_TRUE(reader.read({10}, files, problems, 460 * kMiB).runtime);
  EXPECT_FALSE(reader.read({10, 11}, files, problems, 460 * kMiB).runtime);
  EXPECT_TRUE(problems.empty());

  testing::writeProc(dir, "proc", 12, 1, 3);
  dir.write("proc/12/cmdline", nul({"java", "-Xmx300m", "Main"}));
  dir.write("proc/12/environ/x", "");  // a directory: unreadable, as to an agent not root
  const auto s = reader.read({12}, files, problems, 512 * kMiB);
  ASSERT_TRUE(s.runtime);  // the command line's cap, said to be only that
  EXPECT_EQ(s.runtime->bytes, 300 * kMiB);
  EXPECT_FALSE(s.runtime->environRead);
  EXPECT_TRUE(problems.empty());
}

}  // namespace
}  // namespace lg::agent
