#include "operator/kube/eviction.h"

#include <gtest/gtest.h>

#include "tests/fakes/kube/recording_api_client.h"

namespace lg::kube {
namespace {

TEST(EvictionTest, BodyIsPolicyV1Eviction) {
  DeleteOptions opts;
  opts.gracePeriodSeconds = 30;
  opts.preconditionResourceVersion = "42";
  const nlohmann::json body = evictionBody("shop", "checkout-1", opts);
  EXPECT_EQ(body, (nlohmann::json{{"apiVersion", "policy/v1"},
                                  {"kind", "Eviction"},
                                  {"metadata", {{"name", "checkout-1"}, {"namespace", "shop"}}},
                                  {"deleteOptions",
                                   {{"gracePeriodSeconds", 30},
                                    {"preconditions", {{"resourceVersion", "42"}}}}}}));
  EXPECT_FALSE(evictionBody("a", "b", {}).contains("deleteOptions"));
  // The uid precondition: this pod, never a same-named replacement.
  EXPECT_EQ(evictionBody("a", "b", {.preconditionUid = "u-1"})["deleteOptions"],
            (nlohmann::json{{"preconditions", {{"uid", "u-1"}}}}));
}

TEST(EvictionTest, PostsToTheEvictionSubresourceAndPassesErrorsOn) {
  testing::RecordingApiClient api;
  ASSERT_TRUE(evictPod(api, "shop", "checkout-1").ok());
  ASSERT_EQ(api.calls().size(), 1u);
  EXPECT_EQ(api.calls()[0].verb, "create");
  EXPECT_EQ(api.calls()[0].path, "/api/v1/namespaces/shop/pods/checkout-1/eviction");
  api.failNext(makeError("Cannot evict pod as it would violate the pod's disruption budget.", 429));
  auto s = evictPod(api, "shop", "checkout-1");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().code, 429);
}

}  // namespace
}  // namespace lg::kube
