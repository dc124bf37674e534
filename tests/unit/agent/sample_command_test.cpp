#include "operator/cli/sample_command.h"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>

#include "controllers/detect/trace_reader.h"
#include "tests/unit/agent/cgroup_fixture.h"

namespace lg::cli {
namespace {

using agent::testing::MemoryFixture;
using agent::testing::TempDir;

std::vector<nlohmann::json> lines(const std::string& text) {
  std::vector<nlohmann::json> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    out.push_back(nlohmann::json::parse(line));
  return out;
}

// A v1 cgroup /test/x holding pid 10 (3 threads, 9 fds of 512), under dir/cg and dir/proc.
struct V1Cgroup {
  TempDir dir;
  MemoryFixture m;
  V1Cgroup() {
    agent::testing::makeV1Root(dir, "cg");
    agent::testing::writeV1Cgroup(dir, "cg", "/test/x", m, {10});
    agent::testing::writeProc(dir, "proc", 10, 3, 9, "512");
  }
};

TEST(SampleCommand, PrintsOneJsonLinePerSample) {
  V1Cgroup c;
  std::ostringstream out, err;
  int sleeps = 0;
  const int rc = runSample({.cgroup = "/test/x",
                            .interval = "250ms",
                            .count = 3,
                            .cgroupRoot = c.dir.file("cg"),
                            .procRoot = c.dir.file("proc")},
                           out, err, [&](double s) {
                             EXPECT_DOUBLE_EQ(s, 0.25);
                             ++sleeps;
                           });
  EXPECT_EQ(rc, 0) << err.str();
  EXPECT_EQ(sleeps, 2);
  const auto js = lines(out.str());
  ASSERT_EQ(js.size(), 3u);
  const auto& j = js[0];
  EXPECT_GT(j["time"].get<double>(), 1.7e9);
  EXPECT_EQ(j["cgroupVersion"], 1);
  EXPECT_EQ(j["cgroup"], "/test/x");
  EXPECT_EQ(j["memory"]["usage"], c.m.usage);
  EXPECT_EQ(j["memory"]["workingSet"], c.m.usage - c.m.inactiveFile);
  EXPECT_EQ(j["memory"]["anon"], c.m.anon);
  EXPECT_EQ(j["memory"]["shmem"], c.m.shmem);
  EXPECT_EQ(j["memory"]["limit"], c.m.limit);
  EXPECT_EQ(j["memory"]["oomKill"], c.m.oomKill);
  EXPECT_EQ(j["memory"]["failcnt"], c.m.failcnt);
  EXPECT_EQ(j["pids"]["current"], c.m.pidsCurrent);
  EXPECT_EQ(j["processes"]["fdsMax"], 9);
  EXPECT_EQ(j["processes"]["fdsSoftLimit"], 512);
  EXPECT_EQ(j["processes"]["threads"], 3);
  EXPECT_TRUE(j["problems"].empty());
}

// -o csv: a usage trace that the trace reader (and so `leakguard analyze`) reads back into the
// same figures, shmem included; a field that cannot be read is an empty cell.
TEST(SampleCommand, CsvIsAUsageTraceTheAnalyzerReads) {
  V1Cgroup c;
  std::ostringstream out, err;
  ASSERT_EQ(runSample({.cgroup = "/test/x",
                       .count = 2,
                       .cgroupRoot = c.dir.file("cg"),
                       .procRoot = c.dir.file("proc"),
                       .output = "csv"},
                      out, err, [](double) {}),
            0)
      << err.str();
  const std::string text = out.str();
  EXPECT_EQ(text.substr(0, text.find('\n')), kTraceHeader);
  auto trace = detect::parseTrace(text, "sample.csv");
  ASSERT_TRUE(trace) << trace.error().message << "\n" << text;
  ASSERT_EQ(trace->rows.size(), 2u);
  EXPECT_TRUE(trace->hasAnon);
  const auto& r = trace->rows[0];
  EXPECT_GT(r.timestamp, 1.7e9);
  EXPECT_EQ(r.workingSet, static_cast<double>(c.m.usage - c.m.inactiveFile));
  EXPECT_EQ(r.anon, static_cast<double>(c.m.anon));
  EXPECT_EQ(r.shmem, static_cast<double>(c.m.shmem));
  EXPECT_EQ(r.limit, static_cast<double>(c.m.limit));
  EXPECT_EQ(r.openFds, 9);
  EXPECT_EQ(r.fdLimit, 512);
  EXPECT_EQ(r.threads, 3);
  EXPECT_GE(trace->rows[1].timestamp, r.timestamp);

  // Unreadable memory.stat: those cells are empty, the row is still a row; the reason on stderr.
  c.dir.write("cg/memory/test/x/memory.stat", "total_rss twelve\n");
  std::ostringstream out2, err2;
  ASSERT_EQ(runSample({.cgroup = "/test/x",
                       .count = 1,
                       .cgroupRoot = c.dir.file("cg"),
                       .procRoot = c.dir.file("proc"),
                       .output = "csv"},
                      out2, err2),
            0);
  auto partial = detect::parseTrace(out2.str(), "partial.csv");
  ASSERT_TRUE(partial) << partial.error().message << "\n" << out2.str();
  EXPECT_TRUE(std::isnan(partial->rows.at(0).anon)) << out2.str();
  EXPECT_EQ(partial->rows.at(0).openFds, 9);
  EXPECT_NE(err2.str().find("memory.stat"), std::string::npos) << err2.str();
}

TEST(SampleCommand, AnUnknownOutputIsRefused) {
  std::ostringstream out, err;
  EXPECT_EQ(runSample({.cgroup = "/x", .count = 1, .cgroupRoot = "/nonexistent", .output = "xml"},
                      out, err),
            2);
  EXPECT_NE(err.str().find("-o: json or csv, got \"xml\""), std::string::npos) << err.str();
}

TEST(SampleCommand, UnreadableFilesAreNullsNotErrors) {
  TempDir dir;
  agent::testing::makeV2Root(dir, "cg");
  agent::testing::writeV2Cgroup(dir, "cg", "/x", {});
  std::filesystem::remove(dir.file("cg/x/memory.pressure"));
  dir.write("cg/x/memory.stat", "anon twelve\n");
  std::ostringstream out, err;
  EXPECT_EQ(runSample({.cgroup = dir.file("cg/x"),
                       .count = 1,
                       .cgroupRoot = dir.file("cg"),
                       .procRoot = dir.path()},
                      out, err),
            0);
  const auto j = lines(out.str()).at(0);
  EXPECT_EQ(j["cgroupVersion"], 2);
  EXPECT_TRUE(j["memory"]["anon"].is_null());
  EXPECT_TRUE(j["memory"]["pressure"]["some"].is_null());
  EXPECT_FALSE(j["memory"]["usage"].is_null());
  ASSERT_EQ(j["problems"].size(), 2u);
  EXPECT_EQ(j["problems"][0]["reason"].get<std::string>().substr(0, 9), "malformed");
  EXPECT_EQ(j["problems"][1]["reason"], "missing");
}

TEST(SampleCommand, ACgroupThatExistsNowhereIsTheOnlyError) {
  TempDir dir;
  agent::testing::makeV1Root(dir, "cg");
  std::ostringstream out, err;
  EXPECT_EQ(runSample({.cgroup = "/nope", .count = 1, .cgroupRoot = dir.file("cg")}, out, err), 1);
  EXPECT_TRUE(out.str().empty());
  EXPECT_NE(err.str().find("no cgroup /nope"), std::string::npos);
  std::ostringstream out2, err2;
  EXPECT_EQ(
      runSample({.cgroup = "/", .interval = "soon", .cgroupRoot = dir.file("cg")}, out2, err2), 2);
  EXPECT_NE(err2.str().find("--interval"), std::string::npos);
}

}  // namespace
}  // namespace lg::cli
