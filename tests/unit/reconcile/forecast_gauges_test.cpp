#include "controllers/reconcile/forecast_gauges.h"

#include <gtest/gtest.h>

namespace lg::reconcile {
namespace {

class ForecastGaugesTest : public ::testing::Test {
 protected:
  runtime::MetricsRegistry registry_;
  ForecastGauges gauges_{registry_, 1800};
  std::size_t sweep(double now) { return gauges_.sweep(now); }
};

// Two tenants' pods of one name are two series, told apart by their namespace.
TEST_F(ForecastGaugesTest, PodsOfOneNameInTwoNamespacesAreTwoSeries) {
  gauges_.record("shop", "checkout-1", "app", "memory", 600, 1000);
  gauges_.record("blog", "checkout-1", "app", "memory", 9000, 1000);
  const std::string out = registry_.render();
  EXPECT_NE(out.find("leakguard_forecast_exhaustion_seconds{namespace=\"shop\",pod=\"checkout-1\","
                     "container=\"app\",resource=\"memory\"} 600\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("leakguard_forecast_exhaustion_seconds{namespace=\"blog\",pod=\"checkout-1\","
                     "container=\"app\",resource=\"memory\"} 9000\n"),
            std::string::npos)
      << out;
  EXPECT_EQ(gauges_.size(), 2u);
}

TEST_F(ForecastGaugesTest, ASeriesGoesWithItsPod) {
  gauges_.record("shop", "checkout-1", "app", "memory", 600, 1000);
  gauges_.record("shop", "checkout-1", "app", "fds", 700, 1000);
  gauges_.record("shop", "checkout-2", "app", "memory", 800, 1000);
  gauges_.forgetPod("shop", "checkout-1");  // the delete event
  EXPECT_EQ(gauges_.size(), 1u);
  EXPECT_EQ(registry_.render().find("checkout-1"), std::string::npos);
  gauges_.forgetPod("shop", "checkout-2");
  EXPECT_EQ(gauges_.size(), 0u);
  EXPECT_EQ(registry_.render().find("checkout-2"), std::string::npos);
}

// A forecast no finding has renewed for the time to live is not current: the leak stopped or its
// incident closed.
TEST_F(ForecastGaugesTest, AForecastNotRenewedWithinItsTimeToLiveGoes) {
  gauges_.record("shop", "checkout-1", "app", "memory", 600, 1000);
  gauges_.record("shop", "checkout-2", "app", "memory", 600, 1000);
  gauges_.record("shop", "checkout-2", "app", "memory", 500, 2500);  // renewed
  EXPECT_EQ(sweep(2800), 0u);
  EXPECT_EQ(sweep(2801), 1u);
  const std::string out = registry_.render();
  EXPECT_EQ(out.find("checkout-1"), std::string::npos) << out;
  EXPECT_NE(out.find("pod=\"checkout-2\",container=\"app\",resource=\"memory\"} 500\n"),
            std::string::npos)
      << out;
}

// Past the family's bound a new leak would go unseen; removing the gone ones keeps room.
TEST_F(ForecastGaugesTest, NewLeaksKeepGettingSeriesAsOldOnesGo) {
  for (int round = 0; round < 3; ++round) {
    const double now = 1000.0 + round * 4000;
    sweep(now);
    for (int i = 0; i < 400; ++i) {
      const std::string pod = "p" + std::to_string(round) + "-" + std::to_string(i);
      gauges_.record("shop", pod, "app", "memory", 60, now);
    }
  }
  EXPECT_EQ(gauges_.size(), 400u);  // the last round's; the earlier rounds aged out
  EXPECT_EQ(registry_.render().find("leakguard_metric_series_overflow_total"), std::string::npos);
}

}  // namespace
}  // namespace lg::reconcile
