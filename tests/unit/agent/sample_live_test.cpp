// `leakguard sample` on this machine's real cgroup v1: the test makes its own memory and pids
// cgroup below the memory cgroup it runs in, starts a child in it that allocates memory and
// opens files in steps, and runs the real binary after each step. Needs root and cgroup v1
// (it says so and skips elsewhere); removes the cgroups and the child whatever happens.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#ifndef LG_LEAKGUARD_BIN
#error "LG_LEAKGUARD_BIN must name the leakguard binary"
#endif

namespace {

namespace fs = std::filesystem;
constexpr const char* kRoot = "/sys/fs/cgroup";
constexpr std::size_t kStepBytes = 32u << 20;
constexpr int kStepFds = 40;

std::string ownMemoryCgroup() {
  std::ifstream in("/proc/self/cgroup");
  for (std::string line; std::getline(in, line);) {
    const auto a = line.find(':'), b = line.find(':', a + 1);
    const std::string ctrls = line.substr(a + 1, b - a - 1);
    std::stringstream ss(ctrls);
    for (std::string c; std::getline(ss, c, ',');)
      if (c == "memory") return line.substr(b + 1);
  }
  return "";
}

bool writeFile(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  out.flush();
  return static_cast<bool>(out);
}

// The child: waits for commands on `in`, acknowledges each on `out`.
[[noreturn]] void child(int in, int out) {
  char cmd;
  while (::read(in, &cmd, 1) == 1) {
    if (cmd == 'm') {
      void* p =
          ::mmap(nullptr, kStepBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p == MAP_FAILED) ::_exit(3);
      std::memset(p, 0x5a, kStepBytes);  // resident, charged to our cgroup
    } else if (cmd == 'f') {
      for (int i = 0; i < kStepFds; ++i)
        if (::open("/dev/null", O_RDONLY) < 0) ::_exit(4);
    } else if (cmd == 'q') {
      ::_exit(0);
    }
    if (::write(out, "k", 1) != 1) ::_exit(5);
  }
  ::_exit(0);
}

class LiveCgroup : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to make cgroups";
    if (!fs::exists(std::string(kRoot) + "/memory/memory.usage_in_bytes") ||
        !fs::exists(std::string(kRoot) + "/pids"))
      GTEST_SKIP() << "needs cgroup v1 memory and pids hierarchies at " << kRoot;
    const std::string parent = ownMemoryCgroup();
    ASSERT_FALSE(parent.empty());
    rel_ = (parent == "/" ? "" : parent) + "/lg-sample-test-" + std::to_string(::getpid());
    mem_ = std::string(kRoot) + "/memory" + rel_;
    pids_ = std::string(kRoot) + "/pids" + rel_;
    ASSERT_TRUE(fs::create_directory(mem_)) << mem_;
    // The same cgroup path in the pids hierarchy (its parents may not exist there yet).
    fs::path p = pids_;
    std::vector<fs::path> missing;
    for (; !fs::exists(p); p = p.parent_path())
      missing.push_back(p);
    for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
      ASSERT_TRUE(fs::create_directory(*it)) << *it;
      createdPids_.push_back(*it);
    }
    ASSERT_TRUE(writeFile(mem_ + "/memory.limit_in_bytes", std::to_string(512u << 20)));
    ASSERT_TRUE(writeFile(pids_ + "/pids.max", "64"));
  }

  void TearDown() override {
    if (child_ > 0) {
      ::kill(child_, SIGKILL);
      ::waitpid(child_, nullptr, 0);
    }
    if (!mem_.empty()) ::rmdir(mem_.c_str());
    for (auto it = createdPids_.rbegin(); it != createdPids_.rend(); ++it)
      ::rmdir(it->c_str());
    EXPECT_FALSE(fs::exists(mem_)) << "cgroup left behind: " << mem_;
  }

  void startChild() {
    int toChild[2], fromChild[2];
    ASSERT_EQ(::pipe(toChild), 0);
    ASSERT_EQ(::pipe(fromChild), 0);
    child_ = ::fork();
    ASSERT_GE(child_, 0);
    if (child_ == 0) {
      ::close(toChild[1]);
      ::close(fromChild[0]);
      child(toChild[0], fromChild[1]);
    }
    ::close(toChild[0]);
    ::close(fromChild[1]);
    to_ = toChild[1];
    from_ = fromChild[0];
    ASSERT_TRUE(writeFile(mem_ + "/cgroup.procs", std::to_string(child_)));
    ASSERT_TRUE(writeFile(pids_ + "/cgroup.procs", std::to_string(child_)));
  }

  void step(char cmd) {
    ASSERT_EQ(::write(to_, &cmd, 1), 1);
    char ack = 0;
    if (::read(from_, &ack, 1) != 1) {
      int status = 0;
      ::waitpid(child_, &status, 0);
      child_ = -1;
      FAIL() << "the child died at step '" << cmd << "': "
             << (WIFEXITED(status) ? "exit " + std::to_string(WEXITSTATUS(status))
                                   : "signal " + std::to_string(WTERMSIG(status)));
    }
  }

  // Runs the real binary once and parses its line.
  nlohmann::json sample() {
    const std::string cmd = std::string(LG_LEAKGUARD_BIN) + " sample --count 1 --cgroup " + rel_;
    FILE* p = ::popen(cmd.c_str(), "r");
    EXPECT_NE(p, nullptr);
    std::string out;
    char buf[4096];
    while (p && std::fgets(buf, sizeof buf, p))
      out += buf;
    const int rc = p ? ::pclose(p) : -1;
    EXPECT_EQ(rc, 0) << cmd;
    auto j = nlohmann::json::parse(out, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << out;
    return j;
  }

  std::string rel_, mem_, pids_;
  std::vector<fs::path> createdPids_;
  pid_t child_ = -1;
  int to_ = -1, from_ = -1;
};

TEST_F(LiveCgroup, SampleFollowsMemoryAndFilesGrowing) {
  startChild();
  rlimit nofile{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &nofile), 0);  // inherited by the child

  const auto s0 = sample();
  EXPECT_EQ(s0["cgroupVersion"], 1);
  EXPECT_EQ(s0["cgroup"], rel_);
  EXPECT_EQ(s0["memory"]["limit"], 512u << 20);
  EXPECT_EQ(s0["pids"]["max"], 64);
  EXPECT_EQ(s0["pids"]["current"], 1);
  EXPECT_EQ(s0["processes"]["count"], 1);
  EXPECT_EQ(s0["processes"]["threads"], 1);
  EXPECT_EQ(s0["processes"]["fdsMaxPid"], child_);
  EXPECT_EQ(s0["processes"]["fdsSoftLimit"], nofile.rlim_cur);
  EXPECT_TRUE(s0["problems"].empty()) << s0["problems"];

  std::vector<nlohmann::json> samples{s0};
  const std::string steps = "mfmf";
  for (char c : steps) {
    step(c);
    samples.push_back(sample());
  }
  auto anon = [&](std::size_t i) { return samples[i]["memory"]["anon"].get<std::int64_t>(); };
  auto fds = [&](std::size_t i) { return samples[i]["processes"]["fdsMax"].get<std::int64_t>(); };
  const std::int64_t stepBytes = kStepBytes, slack = 2 << 20;
  for (std::size_t i = 1; i <= steps.size(); ++i) {
    SCOPED_TRACE("step " + std::to_string(i) + " (" + steps[i - 1] + ")");
    if (steps[i - 1] == 'm') {
      EXPECT_GE(anon(i) - anon(i - 1), stepBytes - slack);
      EXPECT_LE(anon(i) - anon(i - 1), stepBytes + slack);
      EXPECT_EQ(fds(i), fds(i - 1));
    } else {
      EXPECT_EQ(fds(i) - fds(i - 1), kStepFds);
      EXPECT_LE(std::abs(anon(i) - anon(i - 1)), slack);
    }
    // Usage and working set follow anon: nothing else grows in this cgroup.
    EXPECT_GE(samples[i]["memory"]["usage"].get<std::int64_t>(), anon(i));
    EXPECT_GE(samples[i]["memory"]["workingSet"].get<std::int64_t>(), anon(i) - slack);
  }
  // Two steps of memory in all. The slack as above: cgroup v1 memory.stat lags by each CPU's
  // batch of uncharged pages (a cold run here read 32 KiB short of 64 MiB).
  EXPECT_GE(anon(4), 2 * stepBytes - slack);
  EXPECT_EQ(samples[4]["memory"]["oomKill"], 0);
  ASSERT_EQ(::write(to_, "q", 1), 1);  // the child exits without an answer
  int status = -1;
  ASSERT_EQ(::waitpid(child_, &status, 0), child_);
  child_ = -1;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

}  // namespace
