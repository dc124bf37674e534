#include "operator/runtime/api_request_metrics.h"

#include <gtest/gtest.h>

namespace lg::runtime {
namespace {

TEST(ApiRequestMetrics, CountsOnlyOnceAttached) {
  ApiRequestMetrics m;
  auto observe = m.observer();
  observe({.verb = "get", .resource = "pods", .code = 200, .seconds = 0.01});  // not attached
  MetricsRegistry registry;
  m.attach(registry);
  observe({.verb = "list", .resource = "pods", .code = 200, .seconds = 0.02});
  observe({.verb = "list", .resource = "pods", .code = 200, .seconds = 0.03});
  observe({.verb = "create", .resource = "pods/eviction", .code = 429, .seconds = 0.5});
  observe({.verb = "get", .resource = "", .code = 0, .seconds = 10});
  const std::string out = registry.render();
  EXPECT_NE(out.find(R"(leakguard_api_requests_total{verb="list",resource="pods",code="200"} 2)"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find(R"({verb="create",resource="pods/eviction",code="429"} 1)"),
            std::string::npos);
  EXPECT_NE(out.find(R"({verb="get",resource="-",code="none"} 1)"), std::string::npos);
  EXPECT_EQ(out.find(R"({verb="get",resource="pods",code="200"})"), std::string::npos);
  EXPECT_NE(
      out.find(R"(leakguard_api_request_duration_seconds_count{verb="list",resource="pods"} 2)"),
      std::string::npos);
}

}  // namespace
}  // namespace lg::runtime
