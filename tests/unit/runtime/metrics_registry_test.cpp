#include "operator/runtime/metrics_registry.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>

#include "operator/runtime/runtime_metrics.h"

namespace lg::runtime {
namespace {

TEST(MetricsRegistryTest, CounterExposition) {
  MetricsRegistry r;
  auto& c = r.counter("leakguard_things_total", "Things done.", {"kind"});
  c.labels({"a"}).inc();
  c.labels({"a"}).inc(2);
  c.labels({"b"}).inc(0.5);
  c.labels({"b"}).inc(-3);  // ignored
  EXPECT_EQ(r.render(),
            "# HELP leakguard_things_total Things done.\n"
            "# TYPE leakguard_things_total counter\n"
            "leakguard_things_total{kind=\"a\"} 3\n"
            "leakguard_things_total{kind=\"b\"} 0.5\n");
}

TEST(MetricsRegistryTest, GaugeWithoutLabels) {
  MetricsRegistry r;
  auto& g = r.gauge("leakguard_temperature", "Now.").labels({});
  g.set(4);
  g.dec();
  g.add(0.25);
  EXPECT_EQ(r.render(),
            "# HELP leakguard_temperature Now.\n"
            "# TYPE leakguard_temperature gauge\n"
            "leakguard_temperature 3.25\n");
}

TEST(MetricsRegistryTest, HistogramBucketsAreCumulativeWithInf) {
  MetricsRegistry r;
  auto& h =
      r.histogram("leakguard_latency_seconds", "Latency.", {"op"}, {0.1, 1, 0.5}).labels({"get"});
  h.observe(0.05);
  h.observe(0.1);  // le is inclusive
  h.observe(0.7);
  h.observe(5);
  EXPECT_EQ(r.render(),
            "# HELP leakguard_latency_seconds Latency.\n"
            "# TYPE leakguard_latency_seconds histogram\n"
            "leakguard_latency_seconds_bucket{op=\"get\",le=\"0.1\"} 2\n"
            "leakguard_latency_seconds_bucket{op=\"get\",le=\"0.5\"} 2\n"
            "leakguard_latency_seconds_bucket{op=\"get\",le=\"1\"} 3\n"
            "leakguard_latency_seconds_bucket{op=\"get\",le=\"+Inf\"} 4\n"
            "leakguard_latency_seconds_sum{op=\"get\"} 5.85\n"
            "leakguard_latency_seconds_count{op=\"get\"} 4\n");
}

TEST(MetricsRegistryTest, HistogramWithoutLabels) {
  MetricsRegistry r;
  auto& h = r.histogram("leakguard_x_seconds", "X.", {}, {1}).labels({});
  h.observe(2);
  const std::string out = r.render();
  EXPECT_NE(out.find("leakguard_x_seconds_bucket{le=\"1\"} 0\n"), std::string::npos);
  EXPECT_NE(out.find("leakguard_x_seconds_bucket{le=\"+Inf\"} 1\n"), std::string::npos);
  EXPECT_NE(out.find("leakguard_x_seconds_sum 2\n"), std::string::npos);
  EXPECT_NE(out.find("leakguard_x_seconds_count 1\n"), std::string::npos);
}

TEST(MetricsRegistryTest, EscapesLabelValuesAndHelp) {
  MetricsRegistry r;
  r.counter("leakguard_e_total", "Help with \\ and\nnewline.", {"v"}).labels({"a\"b\\c\nd"}).inc();
  EXPECT_EQ(r.render(),
            "# HELP leakguard_e_total Help with \\\\ and\\nnewline.\n"
            "# TYPE leakguard_e_total counter\n"
            "leakguard_e_total{v=\"a\\\"b\\\\c\\nd\"} 1\n");
}

TEST(MetricsRegistryTest, FamiliesAreSortedByName) {
  MetricsRegistry r;
  r.gauge("leakguard_b", "B.").labels({}).set(1);
  r.gauge("leakguard_a", "A.").labels({}).set(2);
  const std::string out = r.render();
  EXPECT_LT(out.find("leakguard_a"), out.find("leakguard_b"));
}

TEST(MetricsRegistryTest, ReRegistrationReturnsTheSameFamily) {
  MetricsRegistry r;
  auto& a = r.counter("leakguard_c_total", "C.", {"x"});
  auto& b = r.counter("leakguard_c_total", "C.", {"x"});
  EXPECT_EQ(&a, &b);
  EXPECT_THROW(r.gauge("leakguard_c_total", "C.", {"x"}), std::invalid_argument);
  EXPECT_THROW(r.counter("leakguard_c_total", "C.", {"y"}), std::invalid_argument);
}

TEST(MetricsRegistryTest, RejectsBadNamesAndArity) {
  MetricsRegistry r;
  EXPECT_THROW(r.counter("other_total", "No prefix."), std::invalid_argument);
  EXPECT_THROW(r.counter("leakguard_bad-name", "Dash."), std::invalid_argument);
  EXPECT_THROW(r.counter("leakguard_l_total", "Bad label.", {"le"}), std::invalid_argument);
  EXPECT_THROW(r.counter("leakguard_l2_total", "Bad label.", {"1x"}), std::invalid_argument);
  auto& c = r.counter("leakguard_ok_total", "Ok.", {"a", "b"});
  EXPECT_THROW(c.labels({"only-one"}), std::invalid_argument);
}

TEST(MetricsRegistryTest, LabelSetsAreBounded) {
  MetricsRegistry r;
  auto& c = r.counter("leakguard_pods_total", "Per pod (bad idea).", {"pod"}, 3);
  for (int i = 0; i < 10; ++i)
    c.labels({"p" + std::to_string(i)}).inc();
  EXPECT_EQ(c.seriesCount(), 3u);
  EXPECT_EQ(c.dropped(), 7u);
  const std::string out = r.render();
  EXPECT_NE(out.find("{pod=\"p2\"}"), std::string::npos);
  EXPECT_EQ(out.find("{pod=\"p3\"}"), std::string::npos);
}

TEST(MetricsRegistryTest, OverflowIsCountedInAMetricOfItsOwnSortedAmongTheOthers) {
  MetricsRegistry r;
  r.gauge("leakguard_a", "First.").labels({}).set(1);
  auto& pods = r.counter("leakguard_pods_total", "Per pod.", {"pod"}, 2);
  auto& nodes = r.counter("leakguard_nodes_total", "Per node.", {"node"}, 1);
  // No overflow yet: nothing about it is rendered.
  pods.labels({"p0"}).inc();
  EXPECT_EQ(r.render().find("overflow"), std::string::npos);
  for (int i = 1; i < 6; ++i)
    pods.labels({"p" + std::to_string(i)}).inc();  // p2..p5: 4 updates to the overflow
  nodes.labels({"n0"}).inc();
  nodes.labels({"n1"}).inc();  // 1 update to the overflow
  const std::string out = r.render();
  EXPECT_NE(out.find("# TYPE leakguard_metric_series_overflow_total counter\n"
                     "leakguard_metric_series_overflow_total{metric=\"leakguard_nodes_total\"} 1\n"
                     "leakguard_metric_series_overflow_total{metric=\"leakguard_pods_total\"} 4\n"),
            std::string::npos)
      << out;
  // Sorted by name: after leakguard_a, before leakguard_nodes_total.
  EXPECT_LT(out.find("# TYPE leakguard_a "), out.find("leakguard_metric_series_overflow_total"));
  EXPECT_LT(out.find("leakguard_metric_series_overflow_total"), out.find("# TYPE leakguard_nodes"));
  EXPECT_THROW(r.counter("leakguard_metric_series_overflow_total", "Taken."),
               std::invalid_argument);
}

TEST(MetricsRegistryTest, RemovedSeriesAreNotRenderedAndFreeTheirPlace) {
  MetricsRegistry r;
  auto& g = r.gauge("leakguard_forecast", "Per pod.", {"namespace", "pod"}, 2);
  g.labels({"a", "p1"}).set(10);
  g.labels({"b", "p1"}).set(20);
  EXPECT_TRUE(g.remove({"a", "p1"}));
  EXPECT_FALSE(g.remove({"a", "p1"}));
  g.labels({"c", "p9"}).set(30);  // the freed place, not the overflow
  EXPECT_EQ(g.dropped(), 0u);
  EXPECT_EQ(g.removeIf([](const std::vector<std::string>& v) { return v[0] == "b"; }), 1u);
  const std::string out = r.render();
  EXPECT_EQ(out.find("namespace=\"a\""), std::string::npos) << out;
  EXPECT_EQ(out.find("namespace=\"b\""), std::string::npos) << out;
  EXPECT_NE(out.find("leakguard_forecast{namespace=\"c\",pod=\"p9\"} 30\n"), std::string::npos)
      << out;
  EXPECT_EQ(g.seriesCount(), 1u);
}

TEST(MetricsRegistryTest, SpecialValues) {
  EXPECT_EQ(formatMetricValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(formatMetricValue(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(formatMetricValue(std::nan("")), "NaN");
  EXPECT_EQ(formatMetricValue(1e21), "1e+21");
  EXPECT_EQ(formatMetricValue(42), "42");
}

TEST(MetricsRegistryTest, RuntimeMetricsArePreRegistered) {
  MetricsRegistry r;
  RuntimeMetrics m(r);
  m.reconcileTotal.labels({"policy", "success"}).inc();
  m.watchRestarts.labels({"pods"}).inc();
  m.workqueueDepth.labels({"policy"}).set(3);
  m.leader.set(1);
  m.reconcileDuration.labels({"policy"}).observe(0.02);
  const std::string out = r.render();
  for (const char* needle :
       {"# TYPE leakguard_reconcile_total counter\n",
        "leakguard_reconcile_total{controller=\"policy\",result=\"success\"} 1\n",
        "# TYPE leakguard_reconcile_duration_seconds histogram\n",
        "leakguard_reconcile_duration_seconds_bucket{controller=\"policy\",le=\"0.025\"} 1\n",
        "leakguard_watch_restarts_total{resource=\"pods\"} 1\n",
        "leakguard_workqueue_depth{name=\"policy\"} 3\n", "# TYPE leakguard_leader gauge\n",
        "leakguard_leader 1\n"}) {
    EXPECT_NE(out.find(needle), std::string::npos) << needle;
  }
  // A second RuntimeMetrics on the same registry shares the families.
  RuntimeMetrics again(r);
  EXPECT_EQ(&again.reconcileTotal, &m.reconcileTotal);
}

}  // namespace
}  // namespace lg::runtime
