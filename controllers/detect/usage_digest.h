#pragma once
// A few dozen points that draw a series: its samples between two times, bucketed into at most
// `maxPoints` buckets of equal width (a whole number of 10 s), each kept as its lowest and
// highest sample so a sawtooth keeps its spread. Buckets with no sample are left out. For
// LeakIncidents' status (status.usage), where `kubectl leakguard explain` draws it from. Pure.

#include <span>
#include <utility>
#include <vector>

namespace lg::detect {

struct DigestPoint {
  double t = 0;  // the bucket's start, seconds since the epoch
  double min = 0;
  double max = 0;
};

struct UsageDigest {
  double start = 0;        // the first bucket's start
  double stepSeconds = 0;  // bucket width; 0 when there is no point
  std::vector<DigestPoint> points;
};

// samples: (time, value), oldest first; those outside [from, to] or not finite are ignored.
UsageDigest digestUsage(std::span<const std::pair<double, double>> samples, double from, double to,
                        int maxPoints);

}  // namespace lg::detect
