#include "operator/cli/sample_command.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

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

TEST(SampleCommand, PrintsOneJsonLinePerSample) {
  TempDir dir;
  agent::testing::makeV1Root(dir, "cg");
  MemoryFixture m;
  agent::testing::writeV1Cgroup(dir, "cg", "/test/x", m, {10});
  agent::testing::writeProc(dir, "proc", 10, 3, 9, "512");
  std::ostringstream out, err;
  int sleeps = 0;
  const int rc = runSample({.cgroup = "/test/x",
                            .interval = "250ms",
                            .count = 3,
                            .cgroupRoot = dir.file("cg"),
                            .procRoot = dir.file("proc")},
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
  EXPECT_EQ(j["memory"]["usage"], m.usage);
  EXPECT_EQ(j["memory"]["workingSet"], m.usage - m.inactiveFile);
  EXPECT_EQ(j["memory"]["anon"], m.anon);
  EXPECT_EQ(j["memory"]["shmem"], m.shmem);
  EXPECT_EQ(j["memory"]["limit"], m.limit);
  EXPECT_EQ(j["memory"]["oomKill"], m.oomKill);
  EXPECT_EQ(j["memory"]["failcnt"], m.failcnt);
  EXPECT_EQ(j["pids"]["current"], m.pidsCurrent);
  EXPECT_EQ(j["processes"]["fdsMax"], 9);
  EXPECT_EQ(j["processes"]["fdsSoftLimit"], 512);
  EXPECT_EQ(j["processes"]["threads"], 3);
  EXPECT_TRUE(j["problems"].empty());
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
