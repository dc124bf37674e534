// The Eviction API on the real cluster: 404 for a missing pod, 429 while a PodDisruptionBudget
// forbids it (not retried), success once the budget allows it, 409 for a uid precondition that
// names another pod of the same name.

#include "operator/kube/eviction.h"
#include "tests/integration/kube/cluster_fixture.h"

namespace lg::kube::integration {
namespace {

using namespace std::chrono_literals;
using ::testing::AllOf;
using ::testing::HasSubstr;

const ResourceRef kPdbs{.group = "policy",
                        .version = "v1",
                        .resource = "poddisruptionbudgets",
                        .ns = "",
                        .name = "",
                        .subresource = ""};

class EvictionIntegrationTest : public ClusterTest {
 protected:
  ResourceRef pdbs(const std::string& name = "") const {
    ResourceRef r = kPdbs;
    r.ns = ns;
    r.name = name;
    return r;
  }

  // A pod of the test image that sleeps.
  static nlohmann::json sleeper(const std::string& name, int gracePeriodSeconds) {
    return {{"apiVersion", "v1"},
            {"kind", "Pod"},
            {"metadata", {{"name", name}}},
            {"spec",
             {{"terminationGracePeriodSeconds", gracePeriodSeconds},
              {"automountServiceAccountToken", false},
              {"containers",
               {{{"name", "main"},
                 {"image", "localhost/lg-test:1"},
                 {"imagePullPolicy", "Never"},
                 {"args", {"sleep"}},
                 {"resources", {{"limits", {{"memory", "32Mi"}, {"cpu", "50m"}}}}}}}}}}};
  }

  bool podReady(const std::string& name) {
    auto pod = api->get(core("pods", ns, name));
    if (!pod) return false;
    for (const auto& c : (*pod)["status"].value("conditions", nlohmann::json::array())) {
      if (c["type"] == "Ready" && c["status"] == "True") return true;
    }
    return false;
  }
};

TEST_F(EvictionIntegrationTest, MissingPodIs404) {
  auto s = evictPod(*api, ns, "no-such-pod");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, 404);
  EXPECT_THAT(s.error().message, HasSubstr(R"(pods "no-such-pod" not found)"));
}

TEST_F(EvictionIntegrationTest, BudgetBlocksWith429ThenAllows) {
  ensureTestImages();
  waitForDefaultServiceAccount();
  nlohmann::json pod = sleeper("evictee", 1);
  pod["metadata"]["labels"] = {{"app", "lg-it-evict"}};
  auto created = api->create(core("pods", ns), pod);
  ASSERT_TRUE(created.ok()) << created.error().message;
  ASSERT_TRUE(eventually([&] { return podReady("evictee"); }, 90s))
      << "pod evictee never became Ready; is localhost/lg-test:1 loaded "
         "(e2e/cluster/load-image)? status: "
      << api->get(core("pods", ns, "evictee"))->value("status", nlohmann::json()).dump();

  auto pdb = api->create(
      pdbs(),
      {{"apiVersion", "policy/v1"},
       {"kind", "PodDisruptionBudget"},
       {"metadata", {{"name", "keep-one"}}},
       {"spec", {{"minAvailable", 1}, {"selector", {{"matchLabels", {{"app", "lg-it-evict"}}}}}}}});
  ASSERT_TRUE(pdb.ok()) << pdb.error().message;
  // The disruption controller must have counted the pod before the budget means anything.
  ASSERT_TRUE(eventually([&] {
    auto p = api->get(pdbs("keep-one"));
    return p.ok() && (*p)["status"].value("currentHealthy", 0) == 1 &&
           (*p)["status"].value("observedGeneration", 0) ==
               (*p)["metadata"].value("generation", -1);
  }));

  const auto t0 = std::chrono::steady_clock::now();
  auto blocked = evictPod(*api, ns, "evictee");
  ASSERT_FALSE(blocked.ok());
  EXPECT_EQ(blocked.error().code, 429);
  EXPECT_THAT(blocked.error().message,
              AllOf(HasSubstr("Cannot evict pod as it would violate the pod's disruption budget"),
                    HasSubstr("keep-one")));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);  // answered, not retried
  EXPECT_FALSE((*api->get(core("pods", ns, "evictee")))["metadata"].contains("deletionTimestamp"));

  ASSERT_TRUE(
      api->patch(pdbs("keep-one"), PatchType::kMerge, {{"spec", {{"minAvailable", 0}}}}).ok());
  ASSERT_TRUE(eventually([&] {
    auto p = api->get(pdbs("keep-one"));
    return p.ok() && (*p)["status"].value("disruptionsAllowed", 0) >= 1;
  }));
  DeleteOptions d;
  d.gracePeriodSeconds = 0;
  auto evicted = evictPod(*api, ns, "evictee", d);
  ASSERT_TRUE(evicted.ok()) << evicted.error().message;
  ASSERT_TRUE(eventually([&] {
    auto p = api->get(core("pods", ns, "evictee"));
    return (!p.ok() && p.error().code == 404) ||
           (p.ok() && (*p)["metadata"].contains("deletionTimestamp"));
  }));
}

// Issue 11, finding 7: an eviction that names the pod's uid is refused (409) for a same-named
// replacement, which keeps running, and goes through for the pod it names.
TEST_F(EvictionIntegrationTest, AUidPreconditionSparesASameNamedReplacement) {
  waitForDefaultServiceAccount();
  const nlohmann::json pod = sleeper("web-0", 0);
  auto first = api->create(core("pods", ns), pod);
  ASSERT_TRUE(first.ok()) << first.error().message;
  const std::string oldUid = (*first)["metadata"]["uid"];
  DeleteOptions now;
  now.gracePeriodSeconds = 0;
  ASSERT_TRUE(api->remove(core("pods", ns, "web-0"), now).ok());
  ASSERT_TRUE(eventually([&] {
    auto p = api->get(core("pods", ns, "web-0"));
    return !p.ok() && p.error().code == 404;
  }));
  auto second = api->create(core("pods", ns), pod);  // what a StatefulSet does
  ASSERT_TRUE(second.ok()) << second.error().message;
  const std::string newUid = (*second)["metadata"]["uid"];
  ASSERT_NE(oldUid, newUid);

  DeleteOptions stale;
  stale.preconditionUid = oldUid;
  auto refused = evictPod(*api, ns, "web-0", stale);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, 409);
  EXPECT_THAT(refused.error().message,
              HasSubstr("the UID in the precondition (" + oldUid + ") does not match"));
  auto still = api->get(core("pods", ns, "web-0"));
  ASSERT_TRUE(still.ok());
  EXPECT_EQ((*still)["metadata"]["uid"], newUid);
  EXPECT_FALSE((*still)["metadata"].contains("deletionTimestamp"));

  DeleteOptions current;
  current.preconditionUid = newUid;
  current.gracePeriodSeconds = 0;
  auto evicted = evictPod(*api, ns, "web-0", current);
  ASSERT_TRUE(evicted.ok()) << evicted.error().message;
}

}  // namespace
}  // namespace lg::kube::integration
