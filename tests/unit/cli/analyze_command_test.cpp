#include "operator/cli/analyze_command.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace lg::cli {
namespace {

namespace fs = std::filesystem;

class AnalyzeCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("lg-analyze-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& text) {
    const fs::path p = dir_ / name;
    std::ofstream(p) << text;
    return p.string();
  }
  fs::path dir_;
};

std::string leakingTrace() {
  // 10 h at 30 s: flat for 2 h, then +60 MiB/h towards a 1 GiB limit.
  std::ostringstream o;
  o << "timestamp,anon_bytes,limit_bytes\n";
  for (int i = 0; i < 1200; ++i) {
    const double t = i * 30.0;
    const double v = 300e6 + (t > 7200 ? (t - 7200) / 3600 * 60e6 : 0) + 2e6 * std::sin(i);
    o << t << "," << static_cast<long>(v) << "," << (1L << 30) << "\n";
  }
  return o.str();
}

TEST_F(AnalyzeCommand, OneJsonLinePerFileAndBadFilesDoNotStopTheOthers) {
  const std::string good = write("good.csv", leakingTrace());
  const std::string bad = write("bad.csv", "timestamp,anon_bytes,limit_bytes\n0,1,2\n30,oops,2\n");
  const std::string missing = (dir_ / "missing.csv").string();
  std::ostringstream out, err;
  const int rc = runAnalyze({bad, good, missing}, {}, out, err);
  EXPECT_EQ(rc, 1);

  std::istringstream lines(out.str());
  std::vector<nlohmann::json> objs;
  for (std::string line; std::getline(lines, line);)
    objs.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(objs.size(), 3u);

  EXPECT_EQ(objs[0]["file"], bad);
  EXPECT_EQ(objs[0]["leak"], false);
  EXPECT_TRUE(objs[0]["first_alarm"].is_null());
  EXPECT_NE(objs[0]["error"].get<std::string>().find(":3: column 'anon_bytes'"), std::string::npos);

  EXPECT_EQ(objs[1]["file"], good);
  EXPECT_EQ(objs[1]["leak"], true);
  EXPECT_EQ(objs[1]["resource"], "memory");
  EXPECT_GT(objs[1]["first_alarm"].get<double>(), 7200);
  EXPECT_GT(objs[1]["exhaustion_in_seconds"].get<double>(), 0);
  EXPECT_EQ(objs[1]["memory_signal"], "anon");

  EXPECT_TRUE(objs[2].contains("error"));
  EXPECT_NE(err.str().find("bad.csv:3"), std::string::npos) << err.str();
  EXPECT_NE(err.str().find("missing.csv: cannot open"), std::string::npos) << err.str();
}

TEST_F(AnalyzeCommand, FlatTraceIsNoLeak) {
  std::ostringstream o;
  o << "timestamp,working_set_bytes,limit_bytes\n";
  for (int i = 0; i < 2000; ++i)
    o << i * 15 << "," << 200000000 + (i % 7) * 100000 << ",1e9\n";
  const std::string f = write("flat.csv", o.str());
  std::ostringstream out, err;
  EXPECT_EQ(runAnalyze({f}, {}, out, err), 0);
  const auto j = nlohmann::json::parse(out.str());
  EXPECT_EQ(j["leak"], false);
  EXPECT_TRUE(j["resource"].is_null());
  EXPECT_EQ(j["memory_signal"], "working_set");
  EXPECT_TRUE(err.str().empty());
}

// Bytes that are not UTF-8 (a binary file, a field, a file name) are reported escaped, with the
// file and line; a huge field is cut; the files after them are analysed all the same.
TEST_F(AnalyzeCommand, HostileBytesAreReportedEscapedAndNothingAborts) {
  std::string junk;
  for (int i = 0; i < 4096; ++i)
    junk += static_cast<char>((i * 7919) % 256);
  const std::string bin = write("junk.bin", junk);
  const std::string field = write("field.csv", "timestamp,anon_bytes\n0,1\n30,\xff\xfe\n");
  const std::string odd = write("f\xff.csv", "timestamp,anon_bytes\n0,1\n30,2\n");
  const std::string huge =
      write("huge.csv", "timestamp,anon_bytes\n0," + std::string(20 * 1024 * 1024, '9') + "x\n");
  const std::string good = write("good.csv", leakingTrace());
  std::ostringstream out, err;
  EXPECT_EQ(runAnalyze({bin, field, odd, huge, good}, {}, out, err), 1);

  std::istringstream lines(out.str());
  std::vector<nlohmann::json> objs;
  for (std::string line; std::getline(lines, line);) {
    EXPECT_LT(line.size(), 10000u);
    objs.push_back(nlohmann::json::parse(line));
  }
  ASSERT_EQ(objs.size(), 5u) << out.str();
  EXPECT_NE(objs[0]["error"].get<std::string>().find("junk.bin:1: header has no 'timestamp'"),
            std::string::npos);
  EXPECT_NE(objs[1]["error"].get<std::string>().find(
                "field.csv:3: column 'anon_bytes': not a non-negative number: '\\xff\\xfe'"),
            std::string::npos)
      << objs[1];
  EXPECT_EQ(objs[2]["file"], (dir_ / "f\\xff.csv").string());
  EXPECT_EQ(objs[2]["samples"], 2);
  EXPECT_NE(objs[3]["error"].get<std::string>().find("... (20971521 bytes)"), std::string::npos)
      << objs[3];
  EXPECT_EQ(objs[4]["leak"], true);
  EXPECT_LT(err.str().size(), 10000u);
  EXPECT_NE(err.str().find("number: '\\xff\\xfe'"), std::string::npos) << err.str();
}

}  // namespace
}  // namespace lg::cli
