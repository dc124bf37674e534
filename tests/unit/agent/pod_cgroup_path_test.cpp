#include "controllers/agent/pod_cgroup_path.h"

#include <gtest/gtest.h>

namespace lg::agent {
namespace {

constexpr const char* kUid = "39584b8e-ec96-4ea3-b2af-293cb20e4539";
constexpr const char* kUidSystemd = "39584b8e_ec96_4ea3_b2af_293cb20e4539";
const std::string kId(64, 'a');

TEST(PodCgroupPath, PodDirectoryNames) {
  EXPECT_EQ(*podUidFromDirName(std::string("pod") + kUid), kUid);
  EXPECT_EQ(*podUidFromDirName(std::string("kubepods-pod") + kUidSystemd + ".slice"), kUid);
  EXPECT_EQ(*podUidFromDirName(std::string("kubepods-burstable-pod") + kUidSystemd + ".slice"),
            kUid);
  EXPECT_EQ(*podUidFromDirName(std::string("kubepods-besteffort-pod") + kUidSystemd + ".slice"),
            kUid);
  // A static pod's cgroup carries its config hash.
  EXPECT_EQ(*podUidFromDirName("pod0123456789abcdef0123456789abcdef"),
            "0123456789abcdef0123456789abcdef");
  EXPECT_FALSE(podUidFromDirName("burstable"));
  EXPECT_FALSE(podUidFromDirName("kubepods-burstable.slice"));
  EXPECT_FALSE(podUidFromDirName("podman.slice"));
  EXPECT_FALSE(podUidFromDirName("pod"));
  EXPECT_FALSE(podUidFromDirName(std::string("pod") + kUid + "x"));
}

TEST(PodCgroupPath, ContainerDirectoryNames) {
  EXPECT_EQ(*containerIdFromDirName(kId), kId);
  EXPECT_EQ(*containerIdFromDirName("cri-containerd-" + kId + ".scope"), kId);
  EXPECT_EQ(*containerIdFromDirName("docker-" + kId + ".scope"), kId);
  EXPECT_EQ(*containerIdFromDirName("crio-" + kId + ".scope"), kId);
  EXPECT_EQ(*containerIdFromDirName("crio-" + kId), kId);
  EXPECT_FALSE(containerIdFromDirName("crio-conmon-" + kId + ".scope"));
  EXPECT_FALSE(containerIdFromDirName("memory.stat"));
  EXPECT_FALSE(containerIdFromDirName("init.scope"));
  EXPECT_FALSE(containerIdFromDirName("abc"));  // too short to be an id
}

struct PathCase {
  std::string path;
  QosLevel qos;
  CgroupDriver driver;
  bool container;
};

TEST(PodCgroupPath, EveryDriverAndQosClass) {
  const std::string cf = "/process_api/x/leakguard-e2e/kubepods";  // nested, as on the cluster
  const std::string sd = "/kubepods.slice";
  const std::vector<PathCase> cases{
      {cf + "/pod" + kUid + "/" + kId, QosLevel::kGuaranteed, CgroupDriver::kCgroupfs, true},
      {cf + "/burstable/pod" + kUid + "/" + kId, QosLevel::kBurstable, CgroupDriver::kCgroupfs,
       true},
      {cf + "/besteffort/pod" + kUid + "/" + kId, QosLevel::kBestEffort, CgroupDriver::kCgroupfs,
       true},
      {cf + "/burstable/pod" + kUid, QosLevel::kBurstable, CgroupDriver::kCgroupfs, false},
      {sd + "/kubepods-pod" + kUidSystemd + ".slice/cri-containerd-" + kId + ".scope",
       QosLevel::kGuaranteed, CgroupDriver::kSystemd, true},
      {sd + "/kubepods-burstable.slice/kubepods-burstable-pod" + kUidSystemd + ".slice/docker-" +
           kId + ".scope",
       QosLevel::kBurstable, CgroupDriver::kSystemd, true},
      {sd + "/kubepods-besteffort.slice/kubepods-besteffort-pod" + kUidSystemd + ".slice/crio-" +
           kId + ".scope",
       QosLevel::kBestEffort, CgroupDriver::kSystemd, true},
      {sd + "/kubepods-besteffort.slice/kubepods-besteffort-pod" + kUidSystemd + ".slice",
       QosLevel::kBestEffort, CgroupDriver::kSystemd, false},
  };
  for (const auto& c : cases) {
    auto info = parsePodCgroupPath(c.path);
    ASSERT_TRUE(info.has_value()) << c.path;
    EXPECT_EQ(info->podUid, kUid) << c.path;
    EXPECT_EQ(info->qos, c.qos) << c.path;
    EXPECT_EQ(info->driver, c.driver) << c.path;
    EXPECT_EQ(info->containerId, c.container ? kId : "") << c.path;
    EXPECT_TRUE(c.path.starts_with(info->podPath)) << c.path;
    EXPECT_TRUE(info->podPath.ends_with(".slice") || info->podPath.ends_with(kUid)) << c.path;
  }
}

TEST(PodCgroupPath, PathsThatAreNotPods) {
  EXPECT_FALSE(parsePodCgroupPath("/"));
  EXPECT_FALSE(parsePodCgroupPath("/kubepods/burstable"));
  EXPECT_FALSE(parsePodCgroupPath("/system.slice/containerd.service"));
  EXPECT_FALSE(parsePodCgroupPath("/kubepods/pod" + std::string(kUid) + "/not-a-container"));
}

TEST(PodCgroupPath, RuntimeScheme) {
  EXPECT_EQ(stripRuntimeScheme("containerd://" + kId), kId);
  EXPECT_EQ(stripRuntimeScheme("cri-o://abc"), "abc");
  EXPECT_EQ(stripRuntimeScheme(kId), kId);
  EXPECT_EQ(stripRuntimeScheme(""), "");
}

}  // namespace
}  // namespace lg::agent
