#include "controllers/agent/kubelet_pod_lister.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "tests/unit/agent/cgroup_fixture.h"

namespace lg::agent {
namespace {

const std::string kUid = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";
std::string id(char c) {
  return std::string(64, c);
}
std::string target(const std::string& ns, const std::string& pod, const std::string& uid,
                   const std::string& container, int restart) {
  return "/var/log/pods/" + ns + "_" + pod + "_" + uid + "/" + container + "/" +
         std::to_string(restart) + ".log";
}

TEST(KubeletPodLister, ParsesTheKubeletsLinks) {
  auto l = parseContainerLogLink("checkout-7d9f_shop_app-server-" + id('a') + ".log",
                                 target("shop", "checkout-7d9f", kUid, "app-server", 3));
  ASSERT_TRUE(l);
  EXPECT_EQ(l->pod, "checkout-7d9f");
  EXPECT_EQ(l->ns, "shop");
  EXPECT_EQ(l->container, "app-server");  // a '-' in the name: the id is the last 64 digits
  EXPECT_EQ(l->containerId, id('a'));
  EXPECT_EQ(l->podUid, kUid);
  EXPECT_EQ(l->restartCount, 3);
  // A static pod: the kubelet's uid is the config hash, the one its cgroup carries.
  auto st = parseContainerLogLink(
      "etcd-node-1_kube-system_etcd-" + id('c') + ".log",
      "/custom/pod-logs/kube-system_etcd-node-1_" + std::string(32, 'f') + "/etcd/0.log");
  ASSERT_TRUE(st);
  EXPECT_EQ(st->podUid, std::string(32, 'f'));
}

TEST(KubeletPodLister, AnythingElseIsNotALink) {
  const std::string name = "p_ns_c-" + id('a') + ".log";
  const std::string good = target("ns", "p", kUid, "c", 0);
  ASSERT_TRUE(parseContainerLogLink(name, good));
  for (const std::string& bad : {std::string("p_ns_c-") + id('a') + ".txt",            // not a log
                                 std::string("p_ns_c-") + id('a').substr(1) + ".log",  // 63 digits
                                 std::string("p_ns_c-") + id('A') + ".log",    // not lower hex
                                 std::string("p_ns_x_c-") + id('a') + ".log",  // '_' in a name
                                 std::string("p_ns_-") + id('a') + ".log",     // no container name
                                 std::string(".log"), std::string("")})
    EXPECT_FALSE(parseContainerLogLink(bad, good)) << bad;
  for (const std::string& bad :
       {target("other", "p", kUid, "c", 0),  // another pod's directory
        target("ns", "p", kUid, "d", 0),     // another container's
        target("ns", "p", "not/a-uid", "c", 0), target("ns", "p", "", "c", 0),
        target("ns", "p", "zz-top", "c", 0), std::string("/var/log/pods/ns_p_") + kUid + "/c/x.log",
        std::string("/var/log/pods/ns_p_") + kUid + "/c/1234567890.log", std::string("c/0.log"),
        std::string("")})
    EXPECT_FALSE(parseContainerLogLink(name, bad)) << bad;
}

TEST(KubeletPodLister, GroupsContainersIntoPodsNewestInstanceFirst) {
  std::vector<ContainerLogLink> links = {
      {"web", "shop", "app", id('1'), kUid, 0},   {"web", "shop", "app", id('3'), kUid, 2},
      {"web", "shop", "app", id('2'), kUid, 1},   {"web", "shop", "sidecar", id('s'), kUid, 0},
      {"db", "data", "pg", id('d'), "uid-db", 0},
  };
  auto pods = podsFromLogLinks(links, {});
  ASSERT_EQ(pods.size(), 2u);
  const AgentPod& web = pods[0]->name == "web" ? *pods[0] : *pods[1];
  EXPECT_EQ(web.uid, kUid);
  EXPECT_EQ(web.cgroupUid, kUid);
  EXPECT_EQ(web.ns, "shop");
  ASSERT_EQ(web.containers.size(), 2u);
  EXPECT_EQ(web.containers[0].name, "app");
  EXPECT_EQ(web.containers[0].id, id('3'));
  EXPECT_EQ(web.containers[0].lastId, id('2'));
  EXPECT_EQ(web.containers[1].name, "sidecar");
  EXPECT_EQ(web.containers[1].lastId, "");
  auto shop = podsFromLogLinks(links, {"shop"});
  ASSERT_EQ(shop.size(), 1u);
  EXPECT_EQ(shop[0]->name, "web");
  EXPECT_TRUE(podsFromLogLinks({}, {}).empty());
}

TEST(KubeletPodLister, ReadsLinksWithoutFollowingThem) {
  testing::TempDir dir;
  const std::string links = dir.file("containers");
  std::filesystem::create_directories(links);
  std::filesystem::create_symlink(target("shop", "web", kUid, "app", 0),
                                  links + "/web_shop_app-" + id('a') + ".log");
  std::filesystem::create_symlink("/elsewhere", links + "/junk.log");
  dir.write("containers/web_shop_app-" + id('b') + ".log", "a regular file, not a link");
  const auto got = readContainerLogLinks(links);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].containerId, id('a'));
  EXPECT_TRUE(readContainerLogLinks(dir.file("missing")).empty());
}

}  // namespace
}  // namespace lg::agent
