#include "controllers/reconcile/incident_builder.h"

#include <gtest/gtest.h>

#include "controllers/policy/api_resources.h"

namespace lg::reconcile {
namespace {

TEST(IncidentBuilder, RatesInUnitsAPersonReads) {
  EXPECT_EQ(formatRate(detect::Resource::kMemory, 3.1 * 1024 * 1024 / 60), "+3.1Mi/min");
  EXPECT_EQ(formatRate(detect::Resource::kMemory, 40.0 * 1024 / 3600), "+40Ki/h");
  EXPECT_EQ(formatRate(detect::Resource::kFds, 12.0 / 60), "+12/min");
  EXPECT_EQ(formatRate(detect::Resource::kThreads, 2.0 / 3600), "+2/h");
  EXPECT_EQ(formatRate(detect::Resource::kThreads, 0.5 / 3600), "+0.5/h");
}

TEST(IncidentBuilder, Exhaustion) {
  EXPECT_EQ(formatExhaustion(41 * 60 + 10), "in 41m");
  EXPECT_EQ(formatExhaustion(3 * 3600 + 25 * 60), "in 3h25m");
  EXPECT_EQ(formatExhaustion(30), "now");
  EXPECT_EQ(formatExhaustion(INFINITY), "never");
}

TEST(IncidentBuilder, NamesAreDeterministicAndValid) {
  const double t = 1795564800;  // 2026-11-25T00:00:00Z
  EXPECT_EQ(incidentName("checkout-7d9f-x2k", detect::Resource::kMemory, t),
            "checkout-7d9f-x2k-20261125");
  EXPECT_EQ(incidentName("api-5c6d-7hz", detect::Resource::kFds, t + 3600),
            "api-5c6d-7hz-fds-20261125");
  const std::string longName(80, 'a');
  const std::string n = incidentName(longName + "-x", detect::Resource::kThreads, t);
  EXPECT_LE(n.size(), 63u);
  EXPECT_EQ(n.substr(n.size() - 17), "-threads-20261125");
  EXPECT_NE(n[n.size() - 18], '-');
}

TEST(IncidentBuilder, ObjectCarriesLabelsOwnerAndSpec) {
  PolicyObject p;
  p.ns = "shop";
  p.name = "checkout";
  p.uid = "policy-uid";
  IncidentInput in{.policy = &p,
                   .podName = "checkout-1",
                   .podUid = "pod-uid",
                   .node = "n1",
                   .container = "app",
                   .workload = {.kind = "Deployment", .name = "checkout", .revision = "7d9f"},
                   .resource = detect::Resource::kMemory};
  in.finding.slopePerSecond = 1024.0 * 1024 / 60;
  in.finding.exhaustionSeconds = 1800;
  in.finding.confidence = 0.9991;
  const auto o = incidentObject(in, "checkout-1-20261125");
  EXPECT_EQ(o["metadata"]["namespace"], "shop");
  EXPECT_EQ(o["metadata"]["labels"][policy::kLabelPodUid], "pod-uid");
  EXPECT_EQ(o["metadata"]["ownerReferences"][0]["uid"], "policy-uid");
  EXPECT_EQ(o["metadata"]["ownerReferences"][0]["controller"], true);
  EXPECT_EQ(o["spec"]["workload"]["revision"], "7d9f");
  EXPECT_EQ(o["spec"]["resource"], "memory");
  const auto e = incidentEvidence(in);
  EXPECT_EQ(e["rate"], "+1Mi/min");
  EXPECT_EQ(e["exhaustion"], "in 30m");
  EXPECT_EQ(e["signal"], "working set");
  EXPECT_EQ(e["confidence"], 0.999);
}

TEST(IncidentBuilder, ARuntimesLineIsNamedInTheEvidence) {
  IncidentInput in{.resource = detect::Resource::kMemory};
  in.finding.limit = 170.0 * 1024 * 1024;
  EXPECT_FALSE(incidentEvidence(in).contains("line"));
  EXPECT_EQ(reachedWhat(incidentEvidence(in)), "limit");
  in.line =
      "the Node.js heap max, 259Mi (V8's default for the 460Mi limit), plus 7Mi outside "
      "the heap";
  const auto ev = incidentEvidence(in);
  EXPECT_EQ(ev["line"], in.line);
  EXPECT_EQ(ev["limit"], "170Mi");
  EXPECT_EQ(reachedWhat(ev), "Node.js heap max");
}

TEST(IncidentBuilder, AnIncidentIsOnlyItsOwnPolicysOwnPodsOwnResources) {
  PolicyObject p;
  p.ns = "shop";
  p.name = "checkout";
  p.uid = "policy-uid";
  IncidentInput in{.policy = &p, .podName = "checkout-1", .podUid = "pod-uid", .container = "app"};
  const auto mine = incidentObject(in, "checkout-1-20261125");
  EXPECT_TRUE(isIncidentOf(mine, in));
  auto other = [&](auto change) {
    auto o = mine;
    change(o);
    return isIncidentOf(o, in);
  };
  EXPECT_FALSE(other([](auto& o) { o["spec"]["policy"] = "guard"; }));  // another policy
  EXPECT_FALSE(other([](auto& o) {  // the same name, deleted and created again
    o["metadata"]["ownerReferences"][0]["uid"] = "older-uid";
  }));
  EXPECT_FALSE(other([](auto& o) { o["spec"]["pod"]["uid"] = "older-pod"; }));
  EXPECT_FALSE(other([](auto& o) { o["spec"]["container"] = "sidecar"; }));
  EXPECT_FALSE(other([](auto& o) { o["spec"]["resource"] = "fds"; }));
  EXPECT_FALSE(other([](auto& o) { o["metadata"].erase("ownerReferences"); }));
  EXPECT_FALSE(isIncidentOf(nlohmann::json("garbage"), in));
  EXPECT_FALSE(isIncidentOf(nlohmann::json{{"spec", 7}}, in));
}

}  // namespace
}  // namespace lg::reconcile
