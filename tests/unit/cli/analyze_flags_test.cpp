// `leakguard analyze` as a user runs it: numeric flags out of range are refused with the flag,
// the reason and an exit code; files of any bytes end in exit 1, never in an abort.

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

namespace {

namespace fs = std::filesystem;

struct CliRun {
  int rc = -1;
  std::string output;  // stdout and stderr
};

CliRun leakguard(const std::string& args) {
  CliRun r;
  FILE* p = ::popen((std::string(LG_LEAKGUARD_BIN) + " " + args + " 2>&1").c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf{};
  while (std::size_t n = std::fread(buf.data(), 1, buf.size(), p))
    r.output.append(buf.data(), n);
  const int status = ::pclose(p);
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

class AnalyzeFlags : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("lg-analyze-flags-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    std::ofstream(dir_ / "t.csv") << "timestamp,anon_bytes\n0,1\n30,2\n";
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string trace() const { return (dir_ / "t.csv").string(); }
  fs::path dir_;
};

TEST_F(AnalyzeFlags, NumbersOutOfRangeAreRefusedWithTheFlag) {
  for (const char* bad : {"nan", "-1", "0", "inf", "abc", "1e999"}) {
    const CliRun r = leakguard("analyze --margin " + std::string(bad) + " " + trace());
    EXPECT_EQ(r.rc, 105) << bad << ": " << r.output;  // CLI11's validation error
    EXPECT_NE(r.output.find("--margin: must be a number above 0 and at most 1000, got '" +
                            std::string(bad) + "'"),
              std::string::npos)
        << r.output;
  }
  for (const char* flag : {"--horizon", "--min-growth"}) {
    const CliRun r = leakguard("analyze " + std::string(flag) + " nan " + trace());
    EXPECT_EQ(r.rc, 105) << r.output;
    EXPECT_NE(r.output.find(std::string(flag) + ": must be a number"), std::string::npos)
        << r.output;
  }
  EXPECT_EQ(leakguard("analyze --min-growth 0 --margin 5 --horizon 3600 " + trace()).rc, 0);
}

TEST_F(AnalyzeFlags, AnyBytesEndInExitOneNeverAnAbort) {
  std::ofstream(dir_ / "junk.bin", std::ios::binary) << std::string("\xff\xfe\x00\x80garbage", 11);
  std::ofstream(dir_ / "f\xff.csv") << "timestamp,anon_bytes\n0,\xff\n";
  const CliRun r = leakguard("analyze '" + (dir_ / "junk.bin").string() + "' '" +
                             (dir_ / "f\xff.csv").string() + "' " + trace());
  EXPECT_EQ(r.rc, 1) << r.output;
  EXPECT_NE(r.output.find("f\\xff.csv:2: column 'anon_bytes': not a non-negative number: "
                          "'\\xff'"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("\"samples\":2"), std::string::npos) << r.output;  // the last file
}

}  // namespace
