#pragma once
// The chart `kubectl leakguard explain INCIDENT` draws for a leak (memory, file descriptors or
// threads): the observed usage per time bucket as min-max bars, the fitted trend and its forecast
// with the 90% interval as a shaded fan, the limit as a horizontal line with the point the
// forecast reaches it marked, and a marker at the time of the fit. The time axis runs from the
// first bucket to a little past the forecast exhaustion (at most three times the time left to
// it, never before the last bucket). Pure: values and times are formatted by the callbacks;
// non-finite numbers are ignored, sizes clamped to 20x5..200x50, so any input gives a chart.

#include <functional>
#include <string>
#include <vector>

namespace lg::cli {

struct UsagePoint {
  double t = 0;    // seconds since the epoch (start of the bucket)
  double min = 0;  // lowest and highest sample of the bucket
  double max = 0;
};

struct UsageChartInput {
  std::vector<UsagePoint> points;  // oldest first; may be empty
  double limit = 0;                // the container's limit (> 0 to draw it; <= 0: unknown)
  // The fitted trend: it passes through (fitTime, fitValue) and rises at `rate` units per second;
  // the forecast's 90% interval is the fan between the lines with rateLow and rateHigh from the
  // same point. rate <= 0: no trend (draw usage and limit only). rateLow <= 0: no late bound
  // (the fan runs to the right edge).
  double fitTime = 0, fitValue = 0, rate = 0, rateLow = 0, rateHigh = 0;
  std::function<std::string(double)> formatValue;  // "256Mi", "1.2Gi", "812"; required
  std::function<std::string(double)> formatTime;   // axis labels, e.g. "14:05"; required
  int width = 60;      // columns of the plot area (without the y-axis labels)
  int height = 12;     // rows of the plot area
  bool color = false;  // ANSI colours (only when stdout is a terminal)
};

// The chart as lines of text (no trailing newline in each): `height` plot rows behind the
// y-axis labels, the x-axis, its time labels, then a one-line legend.
std::vector<std::string> renderUsageChart(const UsageChartInput& in);

}  // namespace lg::cli
