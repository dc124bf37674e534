#include "controllers/detect/runtime_line.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "controllers/detect/trace_reader.h"

namespace lg::detect {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;

TEST(RuntimeLine, TheFloorIsTakenOnceTheContainerHasSettled) {
  RuntimeLine line;
  EXPECT_EQ(line.add(0, 1 * kMiB, 100 * kMiB), 0);  // starting up: no floor yet
  EXPECT_EQ(line.add(15, 40 * kMiB, 100 * kMiB), 0);
  EXPECT_EQ(line.add(30, 42 * kMiB, 100 * kMiB), 142 * kMiB);
  EXPECT_EQ(line.add(45, 41 * kMiB, 100 * kMiB), 141 * kMiB);  // a lower floor
  EXPECT_EQ(line.add(60, 90 * kMiB, 100 * kMiB), 141 * kMiB);  // growth leaves it
  EXPECT_EQ(line.add(75, 90 * kMiB, 0), 0);                    // no cap: no line
  EXPECT_EQ(line.outsideHeap(), 41 * kMiB);
  line.reset();  // a new container
  EXPECT_TRUE(std::isnan(line.outsideHeap()));
  EXPECT_EQ(line.add(100, 5 * kMiB, 100 * kMiB), 0);
  EXPECT_EQ(line.add(130, 6 * kMiB, 100 * kMiB), 106 * kMiB);
  EXPECT_EQ(line.add(NAN, 6 * kMiB, 100 * kMiB), 0);
}

// The recorded runtime traces (tests/score/runtime-traces): the line, fed the cap the runtime
// had (agent::runtimeHeapOf's, checked against the runtime itself), lies within 5% of the
// usage at which the process died.
double lineAtDeath(const std::string& file, double heapCap, double& lastUsage) {
  auto trace = readTrace(std::string(LG_RUNTIME_TRACES) + "/" + file);
  EXPECT_TRUE(trace) << (trace ? "" : trace.error().message);
  if (!trace) return 0;
  RuntimeLine line;
  double at = 0;
  for (const auto& r : trace->rows) {
    lastUsage = r.anon + (std::isnan(r.shmem) ? 0 : r.shmem);
    at = line.add(r.timestamp, lastUsage, heapCap);
  }
  return at;
}

TEST(RuntimeLine, LiesWhereTheRecordedJvmAndNodeLeaksDied) {
  double died = 0;
  const double jvm = lineAtDeath("jvm-cache-leak.csv", 134217728, died);  // 512Mi: 128Mi
  EXPECT_NEAR(jvm / died, 1.0, 0.05) << jvm / kMiB << "Mi vs died at " << died / kMiB << "Mi";
  const double node = lineAtDeath("node-listener-leak.csv", 271581184, died);  // 460Mi: 259Mi
  EXPECT_NEAR(node / died, 1.0, 0.05) << node / kMiB << "Mi vs died at " << died / kMiB << "Mi";
}

}  // namespace
}  // namespace lg::detect
