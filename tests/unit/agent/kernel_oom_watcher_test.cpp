#include "controllers/agent/kernel_oom_watcher.h"

#include <gtest/gtest.h>

#include <fstream>

#include "tests/unit/agent/cgroup_fixture.h"

namespace lg::agent {
namespace {

const std::string kModern =
    "6,2345,8737888001,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),"
    "cpuset=1cdc1fd2b8034a81,mems_allowed=0,2-3,"
    "oom_memcg=/process_api/309e/leakguard-e2e/kubepods/burstable/"
    "pod39584b8e-ec96-4ea3-b2af-293cb20e4539,"
    "task_memcg=/process_api/309e/leakguard-e2e/kubepods/burstable/"
    "pod39584b8e-ec96-4ea3-b2af-293cb20e4539/"
    "1cdc1fd2b8034a8189e0b4697477df12fe40fba265ab6a8d85e6015e997dc3e0,task=lgtest,pid=4303,"
    "uid=65532";

TEST(KernelOomWatcher, ParsesTheModernRecord) {
  auto k = parseOomKillRecord(kModern);
  ASSERT_TRUE(k.has_value());
  EXPECT_EQ(k->taskMemcg,
            "/process_api/309e/leakguard-e2e/kubepods/burstable/"
            "pod39584b8e-ec96-4ea3-b2af-293cb20e4539/"
            "1cdc1fd2b8034a8189e0b4697477df12fe40fba265ab6a8d85e6015e997dc3e0");
  EXPECT_EQ(k->oomMemcg,
            "/process_api/309e/leakguard-e2e/kubepods/burstable/"
            "pod39584b8e-ec96-4ea3-b2af-293cb20e4539");
  EXPECT_EQ(k->task, "lgtest");
  EXPECT_EQ(k->pid, 4303);
}

TEST(KernelOomWatcher, ParsesDmesgTextAndTheOldFormat) {
  auto k = parseOomKillRecord(
      "[ 8710.883996] oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,"
      "mems_allowed=0,global_oom,task_memcg=/kubepods/pod1/abc,task=java,pid=7,uid=0");
  ASSERT_TRUE(k.has_value());
  EXPECT_EQ(k->taskMemcg, "/kubepods/pod1/abc");
  EXPECT_EQ(k->oomMemcg, "");
  auto old = parseOomKillRecord(
      "4,100,200,-;Task in /kubepods/burstable/pod1/abc killed as a result of limit of "
      "/kubepods/burstable/pod1");
  ASSERT_TRUE(old.has_value());
  EXPECT_EQ(old->taskMemcg, "/kubepods/burstable/pod1/abc");
  EXPECT_EQ(old->oomMemcg, "/kubepods/burstable/pod1");
}

TEST(KernelOomWatcher, IgnoresEverythingElse) {
  EXPECT_FALSE(parseOomKillRecord(""));
  EXPECT_FALSE(parseOomKillRecord("6,1,2,-;lgtest invoked oom-killer: gfp_mask=0x100cca"));
  EXPECT_FALSE(parseOomKillRecord(
      "3,2,3,-;Memory cgroup out of memory: Killed process 4303 (lgtest) total-vm:66788kB"));
  EXPECT_FALSE(parseOomKillRecord("6,1,2,-;oom-kill:constraint=CONSTRAINT_MEMCG,task=x,pid=1"));
}

TEST(KernelOomWatcher, ReadsNewRecordsAsTheyArrive) {
  testing::TempDir dir;
  const std::string log = dir.write("kmsg",
                                    "6,1,1,-;Linux version 6.18\n"
                                    " SUBSYSTEM=cpu\n" +
                                        kModern + "\n");
  KernelOomWatcher w(log);
  ASSERT_TRUE(w.open().ok());
  auto first = w.poll();
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].task, "lgtest");
  EXPECT_TRUE(w.poll().empty());  // nothing new
  {
    std::ofstream out(log, std::ios::app);
    out << "6,3,1,-;something else\n" << kModern << "\n" << kModern.substr(0, 40);
  }
  EXPECT_EQ(w.poll().size(), 1u);  // the partial line waits for its end
  {
    std::ofstream out(log, std::ios::app);
    out << kModern.substr(40) << "\n";
  }
  EXPECT_EQ(w.poll().size(), 1u);
  EXPECT_EQ(w.recordsRead(), 5u);
}

TEST(KernelOomWatcher, AnUnreadableLogIsAnError) {
  KernelOomWatcher w("/nonexistent/kmsg");
  auto st = w.open();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("/nonexistent/kmsg"), std::string::npos);
  EXPECT_TRUE(w.poll().empty());
}

}  // namespace
}  // namespace lg::agent
