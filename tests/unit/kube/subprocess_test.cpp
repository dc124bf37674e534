#include "operator/kube/subprocess.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace lg::kube {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

ProcessOptions sh(const std::string& script) {
  ProcessOptions o;
  o.argv = {"/bin/sh", "-c", script};
  o.timeout = 5000ms;
  return o;
}

TEST(SubprocessTest, CapturesOutputAndExitStatus) {
  auto r = runProcess(sh("echo out; echo err >&2; exit 7"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->exitCode, 7);
  EXPECT_EQ(r->out, "out\n");
  EXPECT_EQ(r->err, "err\n");
}

TEST(SubprocessTest, PassesExtraEnvironmentAndNoStdin) {
  ProcessOptions o = sh("echo \"$LG_X\"; cat");
  o.extraEnv = {"LG_X=hello", "PATH=/usr/bin:/bin"};
  auto r = runProcess(o);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->out, "hello\n");  // cat read /dev/null
}

TEST(SubprocessTest, TimeoutKillsTheWholeGroup) {
  ProcessOptions o = sh("sleep 30 & sleep 30; echo never");
  o.timeout = 300ms;
  const auto start = std::chrono::steady_clock::now();
  auto r = runProcess(o);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("timed out after 300 ms"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
}

TEST(SubprocessTest, OutputCap) {
  ProcessOptions o = sh("head -c 100000 /dev/zero");
  o.maxOutputBytes = 1000;
  auto r = runProcess(o);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("more than 1000 bytes"));
}

TEST(SubprocessTest, MissingProgram) {
  ProcessOptions o;
  o.argv = {"lg-definitely-not-a-program"};
  auto r = runProcess(o);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("cannot run \"lg-definitely-not-a-program\""));
}

TEST(SubprocessTest, KilledBySignal) {
  auto r = runProcess(sh("kill -9 $$"));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->exitCode, -1);
  EXPECT_EQ(r->termSignal, 9);
}

}  // namespace
}  // namespace lg::kube
