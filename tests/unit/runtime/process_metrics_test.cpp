#include "operator/runtime/process_metrics.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace lg::runtime {
namespace {

// A /proc/<pid>/stat line whose command holds a space and a parenthesis, as a process may name
// itself: utime 250, stime 50 (ticks), starttime 1000, vsize 123456789, rss 2048 pages.
const std::string kStat =
    "4242 (leak guard) x) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 9 0 1000 "
    "123456789 2048 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";

TEST(ProcessMetrics, ParsesStatAfterTheCommand) {
  auto s = parseProcStat(kStat, 100, 4096, 1'700'000'000);
  ASSERT_TRUE(s);
  EXPECT_DOUBLE_EQ(s->cpuSeconds, 3.0);
  EXPECT_DOUBLE_EQ(s->residentBytes, 2048.0 * 4096);
  EXPECT_DOUBLE_EQ(s->virtualBytes, 123456789);
  EXPECT_DOUBLE_EQ(s->startTimeSeconds, 1'700'000'010);
  EXPECT_FALSE(parseProcStat("4242 (x) S 1 2 3", 100, 4096, 0));
  EXPECT_FALSE(parseProcStat("no parenthesis", 100, 4096, 0));
  EXPECT_FALSE(parseProcStat(kStat, 0, 4096, 0));
  EXPECT_EQ(parseBootTime("cpu  1 2 3\nbtime 1700000000\nprocesses 5\n"), 1'700'000'000);
  EXPECT_FALSE(parseBootTime("cpu 1 2\n"));
}

TEST(ProcessMetrics, RefreshedAtEachScrapeFromTheProcRoot) {
  const auto root =
      std::filesystem::temp_directory_path() / ("lg-process-metrics-" + std::to_string(::getpid()));
  std::filesystem::create_directories(root / "self" / "fd");
  std::ofstream(root / "stat") << "cpu 1 2 3\nbtime 1700000000\n";
  std::ofstream(root / "self" / "stat") << kStat;
  for (const char* fd : {"0", "1", "2"})
    std::ofstream(root / "self" / "fd" / fd) << "";
  MetricsRegistry registry;
  registerProcessMetrics(registry, root.string());
  registerBuildInfo(registry, "0.1.0", "abc1234");
  const std::string out = registry.render();
  const long ticks = ::sysconf(_SC_CLK_TCK);
  EXPECT_NE(out.find("process_cpu_seconds_total " + formatMetricValue(300.0 / ticks)),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("process_open_fds 3\n"), std::string::npos) << out;
  EXPECT_NE(out.find("process_max_fds "), std::string::npos);
  EXPECT_NE(out.find("process_virtual_memory_bytes 123456789\n"), std::string::npos);
  EXPECT_NE(out.find("leakguard_build_info{version=\"0.1.0\",revision=\"abc1234\"} 1\n"),
            std::string::npos);
  // The next scrape reads again.
  std::ofstream(root / "self" / "fd" / "3") << "";
  EXPECT_NE(registry.render().find("process_open_fds 4\n"), std::string::npos);
  std::filesystem::remove_all(root);
}

TEST(ProcessMetrics, ThisProcess) {
  MetricsRegistry registry;
  registerProcessMetrics(registry);
  const std::string out = registry.render();
  for (const char* name :
       {"process_resident_memory_bytes ", "process_start_time_seconds ", "process_open_fds "}) {
    const auto at = out.find(std::string("\n") + name);
    ASSERT_NE(at, std::string::npos) << name << out;
    EXPECT_GT(std::stod(out.substr(at + 1 + std::string(name).size())), 0) << name;
  }
}

}  // namespace
}  // namespace lg::runtime
