#include "controllers/agent/pod_cgroup_finder.h"

#include <gtest/gtest.h>

#include "tests/unit/agent/cgroup_fixture.h"

namespace lg::agent {
namespace {

using testing::TempDir;

const std::string kG = "11111111-1111-1111-1111-111111111111";  // Guaranteed
const std::string kB = "22222222-2222-2222-2222-222222222222";  // Burstable
const std::string kE = "33333333-3333-3333-3333-333333333333";  // BestEffort
std::string id(char c) {
  return std::string(64, c);
}
std::string underscores(std::string uid) {
  for (char& c : uid)
    if (c == '-') c = '_';
  return uid;
}

// cgroupfs, nested as on the local cluster: <base>/leakguard-e2e/kubepods/...
TEST(PodCgroupFinder, CgroupfsNestedRootIsFoundAndEveryQosClassIndexed) {
  TempDir dir;
  testing::makeV1Root(dir, "cg");
  const std::string kp = "/process_api/abc/leakguard-e2e/kubepods";
  testing::writeV1Cgroup(dir, "cg", kp + "/pod" + kG + "/" + id('a'), {});
  testing::writeV1Cgroup(dir, "cg", kp + "/pod" + kG + "/" + id('b'), {});  // the sandbox
  testing::writeV1Cgroup(dir, "cg", kp + "/burstable/pod" + kB + "/" + id('c'), {});
  testing::writeV1Cgroup(dir, "cg", kp + "/besteffort/pod" + kE + "/" + id('d'), {});
  dir.write("cg/memory/process_api/abc/leakguard-e2e/system/containerd/memory.stat", "");
  auto layout = detectCgroupLayout(dir.file("cg"));
  ASSERT_TRUE(layout.ok());
  PodCgroupFinder finder(*layout);
  ASSERT_TRUE(finder.refresh().ok());
  ASSERT_EQ(finder.kubepodsPaths(), std::vector<std::string>{kp});
  EXPECT_EQ(finder.podCount(), 3u);
  EXPECT_EQ(finder.containerCount(), 4u);
  EXPECT_EQ(*finder.container(id('a')), kp + "/pod" + kG + "/" + id('a'));
  EXPECT_EQ(*finder.container(id('c')), kp + "/burstable/pod" + kB + "/" + id('c'));
  EXPECT_EQ(*finder.container(id('d')), kp + "/besteffort/pod" + kE + "/" + id('d'));
  EXPECT_EQ(*finder.pod(kB), kp + "/burstable/pod" + kB);
  ASSERT_NE(finder.containerInfo(id('d')), nullptr);
  EXPECT_EQ(finder.containerInfo(id('d'))->qos, QosLevel::kBestEffort);
  EXPECT_EQ(finder.containerInfo(id('a'))->qos, QosLevel::kGuaranteed);
  EXPECT_EQ(finder.containerInfo(id('c'))->podUid, kB);
  EXPECT_FALSE(finder.container(id('e')));
  EXPECT_FALSE(finder.pod("44444444-4444-4444-4444-444444444444"));
}

TEST(PodCgroupFinder, SystemdDriverOnCgroupV2) {
  TempDir dir;
  testing::makeV2Root(dir, "cg");
  const std::string kp = "/kubepods.slice";
  testing::writeV2Cgroup(
      dir, "cg",
      kp + "/kubepods-pod" + underscores(kG) + ".slice/cri-containerd-" + id('a') + ".scope", {});
  testing::writeV2Cgroup(dir, "cg",
                         kp + "/kubepods-burstable.slice/kubepods-burstable-pod" + underscores(kB) +
                             ".slice/docker-" + id('c') + ".scope",
                         {});
  testing::writeV2Cgroup(dir, "cg",
                         kp + "/kubepods-besteffort.slice/kubepods-besteffort-pod" +
                             underscores(kE) + ".slice/crio-" + id('d') + ".scope",
                         {});
  testing::writeV2Cgroup(dir, "cg",
                         kp + "/kubepods-besteffort.slice/kubepods-besteffort-pod" +
                             underscores(kE) + ".slice/crio-conmon-" + id('d') + ".scope",
                         {});
  dir.write("cg/system.slice/containerd.service/cgroup.procs", "1\n");
  auto layout = detectCgroupLayout(dir.file("cg"));
  ASSERT_TRUE(layout.ok());
  PodCgroupFinder finder(*layout);
  ASSERT_TRUE(finder.refresh().ok());
  EXPECT_EQ(finder.kubepodsPaths(), std::vector<std::string>{kp});
  EXPECT_EQ(finder.containerCount(), 3u);  // conmon is not a container
  EXPECT_EQ(finder.containerInfo(id('a'))->driver, CgroupDriver::kSystemd);
  EXPECT_EQ(finder.containerInfo(id('a'))->qos, QosLevel::kGuaranteed);
  EXPECT_EQ(finder.containerInfo(id('c'))->qos, QosLevel::kBurstable);
  EXPECT_EQ(finder.containerInfo(id('d'))->qos, QosLevel::kBestEffort);
  EXPECT_EQ(*finder.pod(kE),
            kp + "/kubepods-besteffort.slice/kubepods-besteffort-pod" + underscores(kE) + ".slice");
}

TEST(PodCgroupFinder, ExplicitKubepodsPathAndRefreshSeesChanges) {
  TempDir dir;
  testing::makeV1Root(dir, "cg");
  testing::writeV1Cgroup(dir, "cg", "/custom/kubepods/burstable/pod" + kB + "/" + id('a'), {});
  auto layout = detectCgroupLayout(dir.file("cg"));
  PodCgroupFinder finder(*layout, {.kubepodsPath = "custom/kubepods/"});
  ASSERT_TRUE(finder.refresh().ok());
  EXPECT_TRUE(finder.container(id('a')));
  // A restarted container: the old directory goes, a new one comes.
  std::filesystem::remove_all(
      dir.file("cg/memory/custom/kubepods/burstable/pod" + kB + "/" + id('a')));
  testing::writeV1Cgroup(dir, "cg", "/custom/kubepods/burstable/pod" + kB + "/" + id('b'), {});
  ASSERT_TRUE(finder.refresh().ok());
  EXPECT_FALSE(finder.container(id('a')));
  EXPECT_TRUE(finder.container(id('b')));
  EXPECT_EQ(finder.refreshes(), 2u);
}

TEST(PodCgroupFinder, NoKubepodsIsAnErrorAndSearchedAgainLater) {
  TempDir dir;
  testing::makeV1Root(dir, "cg");
  auto layout = detectCgroupLayout(dir.file("cg"));
  PodCgroupFinder finder(*layout, {.maxSearchDepth = 3});
  auto st = finder.refresh();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("no kubepods cgroup"), std::string::npos);
  // kubelet starts later.
  testing::writeV1Cgroup(dir, "cg", "/kubepods/pod" + kG + "/" + id('a'), {});
  ASSERT_TRUE(finder.refresh().ok());
  EXPECT_TRUE(finder.container(id('a')));
}

TEST(PodCgroupFinder, SearchStopsAtItsDepthAndAtTheShallowestMatch) {
  TempDir dir;
  testing::makeV1Root(dir, "cg");
  dir.write("cg/memory/a/b/c/d/kubepods/cgroup.procs", "");
  EXPECT_TRUE(findKubepodsDirs(dir.file("cg/memory"), 4).empty());
  EXPECT_EQ(findKubepodsDirs(dir.file("cg/memory"), 5),
            std::vector<std::string>{"/a/b/c/d/kubepods"});
  dir.write("cg/memory/x/kubepods.slice/cgroup.procs", "");
  EXPECT_EQ(findKubepodsDirs(dir.file("cg/memory"), 6),
            std::vector<std::string>{"/x/kubepods.slice"});
}

}  // namespace
}  // namespace lg::agent
