#include "operator/cli/usage_chart.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>

namespace lg::cli {
namespace {

constexpr double kMi = 1024.0 * 1024;
constexpr double kT0 = 1796565600;  // 2026-12-06T14:00:00Z
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

std::string mebibytes(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%gMi", std::round(v / kMi * 10) / 10);
  return buf;
}

std::string hoursMinutes(double t) {
  // The degenerate cases pass times far outside a long: a formatter must not overflow on them.
  if (!(std::abs(t) < 1e15)) return "??:??";
  const long s = static_cast<long>(t) % 86400;
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02ld:%02ld", s / 3600, s / 60 % 60);
  return buf;
}

// Rising from 40Mi to 200Mi over an hour (each bucket 1Mi wide), limit 256Mi; the trend reaches
// the limit 20 minutes after the fit at 15:00, so at 15:20.
UsageChartInput linearLeak() {
  UsageChartInput in;
  for (int i = 0; i <= 60; ++i) {
    const double v = 40 * kMi + 160 * kMi * i / 60;
    in.points.push_back({kT0 + 60 * i, v - kMi, v});
  }
  in.limit = 256 * kMi;
  in.fitTime = kT0 + 3600;
  in.fitValue = 200 * kMi;
  in.rate = 56 * kMi / 1200;
  in.rateLow = in.rate * 0.8;
  in.rateHigh = in.rate * 1.25;
  in.formatValue = mebibytes;
  in.formatTime = hoursMinutes;
  return in;
}

std::vector<std::string> codePoints(const std::string& s) {
  std::vector<std::string> out;
  for (char c : s) {
    if ((c & 0xC0) == 0x80 && !out.empty())
      out.back() += c;
    else
      out.emplace_back(1, c);
  }
  return out;
}

std::size_t displayWidth(const std::string& s) {
  return codePoints(s).size();
}

std::string stripEscapes(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\x1b') {
      while (i < s.size() && s[i] != 'm')
        ++i;
      continue;
    }
    out += s[i];
  }
  return out;
}

bool isUsage(const std::string& g) {
  return g == "█" || g == "▄" || g == "▀";
}

// The plot area split into rows (top first) of cells, with each row's y-axis label.
struct Plot {
  std::vector<std::string> labels;
  std::vector<std::vector<std::string>> cells;
  int labelWidth = 0;

  Plot(const std::vector<std::string>& lines, int height) {
    for (int r = 0; r < height; ++r) {
      auto cps = codePoints(lines[r]);
      const auto sep = std::find_if(cps.begin(), cps.end(),
                                    [](const std::string& g) { return g == "┤" || g == "│"; });
      labelWidth = static_cast<int>(sep - cps.begin());
      std::string label;
      for (auto it = cps.begin(); it != sep; ++it)
        if (*it != " ") label += *it;
      labels.push_back(label);
      cells.emplace_back(sep + 1, cps.end());
    }
  }
  int width() const { return static_cast<int>(cells[0].size()); }
  int height() const { return static_cast<int>(cells.size()); }
  // (row, column) of every cell showing `glyph`.
  std::vector<std::pair<int, int>> find(const std::string& glyph) const {
    std::vector<std::pair<int, int>> out;
    for (int r = 0; r < height(); ++r)
      for (int c = 0; c < width(); ++c)
        if (cells[r][c] == glyph) out.push_back({r, c});
    return out;
  }
  int lastUsageColumn() const {
    int last = -1;
    for (int r = 0; r < height(); ++r)
      for (int c = 0; c < width(); ++c)
        if (isUsage(cells[r][c])) last = std::max(last, c);
    return last;
  }
  int rowsOfUsage(int c) const {
    int n = 0;
    for (int r = 0; r < height(); ++r)
      n += isUsage(cells[r][c]);
    return n;
  }
  // The top of the usage bar in half rows from the top of the plot; -1: no bar.
  int barTop(int c) const {
    for (int r = 0; r < height(); ++r) {
      if (cells[r][c] == "█" || cells[r][c] == "▀") return 2 * r;
      if (cells[r][c] == "▄") return 2 * r + 1;
    }
    return -1;
  }
  int columnOf(const std::string& glyph) const {
    const auto at = find(glyph);
    return at.empty() ? -1 : at.front().second;
  }
};

TEST(UsageChartTest, LinearLeakReachesTheLimitAfterTheFit) {
  const auto lines = renderUsageChart(linearLeak());
  ASSERT_EQ(lines.size(), 12u + 3);
  const Plot plot(lines, 12);
  ASSERT_EQ(plot.width(), 60);

  // The limit: one full row, labelled with the limit, one row of headroom above it.
  int limitRow = -1;
  for (int r = 0; r < 12; ++r)
    if (std::count(plot.cells[r].begin(), plot.cells[r].end(), "━") > 0) {
      EXPECT_EQ(limitRow, -1) << "a second limit row " << r;
      limitRow = r;
    }
  ASSERT_EQ(limitRow, 1);
  EXPECT_EQ(plot.labels[limitRow], "256Mi");
  EXPECT_FALSE(plot.labels[0].empty());
  EXPECT_EQ(plot.labels[11], "0Mi");  // the lowest usage is under half the limit
  for (const auto& cell : plot.cells[limitRow])
    EXPECT_TRUE(cell == "━" || cell == "✕") << cell;

  // The fit's marker is one column; the exhaustion mark one cell, on the limit, to its right,
  // where 20 of the 80 minutes from the start put it.
  const auto fitCells = plot.find("┊");
  ASSERT_FALSE(fitCells.empty());
  const int fitCol = fitCells.front().second;
  for (const auto& [r, c] : fitCells)
    EXPECT_EQ(c, fitCol);
  const auto marks = plot.find("✕");
  ASSERT_EQ(marks.size(), 1u);
  EXPECT_EQ(marks[0].first, limitRow);
  const int exCol = marks[0].second;
  EXPECT_GT(exCol, fitCol);
  EXPECT_LT(exCol, 59) << "no margin right of the exhaustion";
  EXPECT_NEAR(static_cast<double>(fitCol) / exCol, 60.0 / 80, 0.04);

  // Usage from the first column to the fit, rising, never more than the bucket's spread.
  EXPECT_GE(plot.barTop(0), 0);
  const int lastUsage = plot.lastUsageColumn();
  EXPECT_LT(lastUsage, exCol);
  EXPECT_LE(lastUsage, fitCol);
  EXPECT_GE(lastUsage, fitCol - 1);
  int previousTop = 2 * 12;
  for (int c = 0; c <= lastUsage; ++c) {
    const int top = plot.barTop(c);
    ASSERT_GE(top, 0) << "a gap in the usage at column " << c;
    EXPECT_LE(top, previousTop) << "the usage falls at column " << c;
    EXPECT_LE(plot.rowsOfUsage(c), 2) << c;
    previousTop = top;
  }
  EXPECT_LT(plot.barTop(lastUsage), plot.barTop(0) - 8) << "40Mi to 200Mi must rise ~5 rows";

  // The fan: right of the fit, below the limit; the central forecast inside it, rising to the
  // limit at the mark.
  const auto fan = plot.find("░");
  EXPECT_FALSE(fan.empty());
  for (const auto& [r, c] : fan) {
    EXPECT_GT(c, fitCol);
    EXPECT_GT(r, limitRow);
  }
  int forecastCells = 0, previousRow = 12;
  for (int c = fitCol + 1; c < exCol; ++c)
    for (int r = 0; r < 12; ++r)
      if (plot.cells[r][c] == "·") {
        ++forecastCells;
        EXPECT_GT(r, limitRow);
        EXPECT_LE(r, previousRow + 1) << "the forecast falls at column " << c;
        previousRow = std::min(previousRow, r);
      }
  EXPECT_GE(forecastCells, exCol - fitCol - 1);
  EXPECT_EQ(previousRow, limitRow + 1) << "the forecast stops short of the limit";

  // X-axis: ticks and labels at the start, the fit and the exhaustion, each label over its tick.
  const auto axis = codePoints(lines[12]);
  ASSERT_EQ(axis.size(), static_cast<std::size_t>(plot.labelWidth + 1 + 60));
  EXPECT_EQ(axis[plot.labelWidth], "└");
  const std::string& ticks = lines[13];
  for (const auto& [col, text] : std::vector<std::pair<int, std::string>>{
           {0, "14:00"}, {fitCol, "15:00"}, {exCol, "15:20"}}) {
    EXPECT_EQ(axis[plot.labelWidth + 1 + col], "┬") << text;
    const auto at = ticks.find(text);
    ASSERT_NE(at, std::string::npos) << text << " in " << ticks;
    const int start = static_cast<int>(at) - plot.labelWidth - 1;
    EXPECT_LE(start, col) << text;
    EXPECT_GT(start + 5, col) << text;
  }
  EXPECT_EQ(std::count(axis.begin(), axis.end(), "┬"), 3);

  const std::string& legend = lines.back();
  EXPECT_NE(legend.find("limit 256Mi"), std::string::npos) << legend;
  EXPECT_NE(legend.find("90% forecast"), std::string::npos) << legend;
  EXPECT_NE(legend.find("✕"), std::string::npos) << legend;
  EXPECT_LE(displayWidth(legend), 80u) << legend;
}

TEST(UsageChartTest, PlotLinesHaveOneDisplayWidth) {
  const auto lines = renderUsageChart(linearLeak());
  for (std::size_t i = 0; i < 13; ++i)
    EXPECT_EQ(displayWidth(lines[i]), displayWidth(lines[0]));
  EXPECT_LE(displayWidth(lines[0]), 80u);
}

TEST(UsageChartTest, SawtoothBarsShowTheSpread) {
  UsageChartInput in = linearLeak();
  in.points.clear();
  for (int i = 0; i < 120; ++i) {
    const double v = 100 * kMi + (i % 20) * 5 * kMi;  // climbs 95Mi over 20 min, then GC
    in.points.push_back({kT0 + 60 * i, v, v});
  }
  in.rate = 0;
  const auto lines = renderUsageChart(in);
  const Plot plot(lines, 12);
  int widest = 0;
  for (int c = 0; c < plot.width(); ++c)
    widest = std::max(widest, plot.rowsOfUsage(c));
  EXPECT_GE(widest, 3);
  EXPECT_EQ(plot.lastUsageColumn(), 59);  // no trend: the chart ends at the last bucket
  EXPECT_TRUE(plot.find("·").empty());
  EXPECT_TRUE(plot.find("░").empty());
  EXPECT_TRUE(plot.find("✕").empty());
  EXPECT_TRUE(plot.find("┊").empty());
  EXPECT_FALSE(plot.find("━").empty());
}

TEST(UsageChartTest, SparseBucketsDrawContiguousBars) {
  UsageChartInput in = linearLeak();
  in.points.clear();
  for (int i = 0; i <= 12; ++i)
    in.points.push_back({kT0 + 300 * i, 50 * kMi, 60 * kMi});
  in.rate = 0;
  const Plot plot(renderUsageChart(in), 12);
  for (int c = 0; c < plot.width(); ++c)
    EXPECT_GE(plot.barTop(c), 0) << c;
}

TEST(UsageChartTest, ColourOnlyWhenAsked) {
  UsageChartInput in = linearLeak();
  const auto plain = renderUsageChart(in);
  for (const auto& line : plain)
    EXPECT_EQ(line.find('\x1b'), std::string::npos) << line;

  in.color = true;
  const auto colored = renderUsageChart(in);
  std::string all;
  for (const auto& line : colored)
    all += line + "\n";
  EXPECT_NE(all.find("\x1b[31m━"), std::string::npos);  // the limit in red
  EXPECT_NE(all.find("\x1b[33m"), std::string::npos);   // the trend in yellow
  ASSERT_EQ(colored.size(), plain.size());
  for (std::size_t i = 0; i < plain.size(); ++i) {
    EXPECT_EQ(stripEscapes(colored[i]), plain[i]);
    // Each coloured run is reset before the line ends.
    const auto open = colored[i].rfind("\x1b[3");
    if (open != std::string::npos) {
      EXPECT_NE(colored[i].find("\x1b[0m", open), std::string::npos);
    }
  }
}

TEST(UsageChartTest, RightEdgeFollowsTheCentralExhaustion) {
  UsageChartInput in = linearLeak();
  in.rate = 56 * kMi / (30 * 86400.0);  // the limit in a month
  in.rateLow = in.rate / 1000;
  in.rateHigh = in.rate * 2;
  // A month against an hour: the usage keeps a sixth of the width, the mark is off the chart.
  const Plot far(renderUsageChart(in), 12);
  EXPECT_EQ(far.columnOf("✕"), -1);
  EXPECT_GE(far.lastUsageColumn(), 8);
  EXPECT_LE(far.lastUsageColumn(), 11);

  // A slow late bound must not move the right edge.
  in = linearLeak();
  const int usualLast = Plot(renderUsageChart(in), 12).lastUsageColumn();
  in.rateLow = in.rate / 1000;
  const Plot slow(renderUsageChart(in), 12);
  EXPECT_EQ(slow.lastUsageColumn(), usualLast);
  EXPECT_EQ(slow.columnOf("✕"), Plot(renderUsageChart(linearLeak()), 12).columnOf("✕"));

  // The limit a minute after an hour of usage: the edge stops at three minutes after the fit.
  in = linearLeak();
  in.rate = 56 * kMi / 60;
  in.rateLow = in.rate / 2;
  in.rateHigh = in.rate * 2;
  const Plot soon(renderUsageChart(in), 12);
  EXPECT_GE(soon.lastUsageColumn(), 55);
  EXPECT_GT(soon.columnOf("✕"), soon.columnOf("┊"));
}

TEST(UsageChartTest, NoLateBoundRunsTheFanToTheRightEdge) {
  auto fanInLastColumn = [](const UsageChartInput& in) {
    const Plot plot(renderUsageChart(in), 12);
    for (const auto& [r, c] : plot.find("░"))
      if (c == plot.width() - 1) return true;
    return false;
  };
  UsageChartInput in = linearLeak();
  EXPECT_FALSE(fanInLastColumn(in));  // the late bound reaches the limit before the edge
  in.rateLow = 0;
  EXPECT_TRUE(fanInLastColumn(in));
  const auto noLateBound = renderUsageChart(in);
  in.rateLow = -1;  // not a falling bound
  EXPECT_EQ(renderUsageChart(in), noLateBound);
  in.rateLow = kNaN;
  EXPECT_EQ(renderUsageChart(in), noLateBound);
}

TEST(UsageChartTest, OnePointWithoutTrend) {
  UsageChartInput in = linearLeak();
  in.points = {{kT0, 100 * kMi, 150 * kMi}};
  in.rate = 0;
  const auto lines = renderUsageChart(in);
  const Plot plot(lines, 12);
  EXPECT_EQ(plot.lastUsageColumn(), 0);
  EXPECT_GE(plot.rowsOfUsage(0), 2);
  EXPECT_EQ(lines[13], std::string(plot.labelWidth + 1, ' ') + "14:00");  // not twice
}

TEST(UsageChartTest, UnsortedPointsDrawAsSorted) {
  UsageChartInput in = linearLeak();
  const auto sorted = renderUsageChart(in);
  std::mt19937 rng(7);
  std::shuffle(in.points.begin(), in.points.end(), rng);
  EXPECT_EQ(renderUsageChart(in), sorted);
}

TEST(UsageChartTest, NonFiniteNumbersAreIgnored) {
  UsageChartInput in = linearLeak();
  const auto clean = renderUsageChart(in);
  in.points.insert(in.points.begin() + 10, {kNaN, 1, 2});
  in.points.push_back({kInf, 1, 2});
  in.points.push_back({-kInf, 1, 2});
  in.points.push_back({kT0 + 600, kNaN, kNaN});
  EXPECT_EQ(renderUsageChart(in), clean);

  in.limit = kNaN;
  const Plot noLimit(renderUsageChart(in), 12);
  EXPECT_TRUE(noLimit.find("━").empty());
  EXPECT_TRUE(noLimit.find("✕").empty());
  EXPECT_FALSE(noLimit.find("·").empty());

  in = linearLeak();
  in.rate = kInf;
  const Plot noTrend(renderUsageChart(in), 12);
  EXPECT_TRUE(noTrend.find("·").empty());
  EXPECT_TRUE(noTrend.find("░").empty());
  EXPECT_FALSE(noTrend.find("━").empty());
}

TEST(UsageChartTest, WithoutTrendOrLimit) {
  UsageChartInput in = linearLeak();
  in.rate = 0;
  in.limit = 0;
  const auto lines = renderUsageChart(in);
  const Plot plot(lines, 12);
  EXPECT_TRUE(plot.find("━").empty());
  EXPECT_TRUE(plot.find("·").empty());
  EXPECT_EQ(plot.lastUsageColumn(), 59);
  EXPECT_EQ(plot.barTop(59), 3);  // the highest usage starts the second row: its lower half
  EXPECT_EQ(lines.back().find("limit"), std::string::npos);
  EXPECT_NE(lines[13].find("15:00"), std::string::npos);  // the right edge, the last bucket
}

TEST(UsageChartTest, UsageHighAboveZeroGetsARoundedBottom) {
  UsageChartInput in = linearLeak();
  in.points.clear();
  for (int i = 0; i < 60; ++i) {
    const double v = 203 * kMi + i * kMi / 2;
    in.points.push_back({kT0 + 60 * i, v, v + kMi});
  }
  in.rate = 0;
  const Plot plot(renderUsageChart(in), 12);
  EXPECT_EQ(plot.labels[11], "200Mi");  // a multiple of 8Mi below 203Mi, not 0
  EXPECT_EQ(plot.labels[1], "256Mi");
  EXPECT_EQ(plot.barTop(0), 2 * 11) << "203Mi to 204Mi: the top half of the bottom row";
}

TEST(UsageChartTest, CountsGetADecimalBottom) {
  UsageChartInput in;
  for (int i = 0; i < 60; ++i)
    in.points.push_back({kT0 + 60 * i, 730.0 + i, 740.0 + i});
  in.limit = 1024;
  in.formatValue = [](double v) { return std::to_string(static_cast<long>(std::lround(v))); };
  in.formatTime = hoursMinutes;
  const Plot plot(renderUsageChart(in), 12);
  EXPECT_EQ(plot.labels[11], "700");
  EXPECT_EQ(plot.labels[1], "1024");
}

TEST(UsageChartTest, TimeLabelsNeverOverlap) {
  // From an exhaustion seconds after the fit (its label would land on the fit's) to hours after.
  for (double minutes : {0.05, 0.5, 1.0, 2.0, 5.0, 20.0, 90.0, 600.0})
    for (int width : {20, 30, 60}) {
      UsageChartInput in = linearLeak();
      in.rate = 56 * kMi / (minutes * 60);
      in.rateLow = in.rate / 2;
      in.rateHigh = in.rate * 2;
      in.width = width;
      const auto lines = renderUsageChart(in);
      const std::string& labels = lines[13];
      const auto axis = codePoints(lines[12]);
      // Every run of non-blanks is one whole "HH:MM" label, standing over a tick.
      int runs = 0;
      for (std::size_t i = labels.find_first_not_of(' '); i != std::string::npos;) {
        const std::size_t end = std::min(labels.find(' ', i), labels.size());
        EXPECT_EQ(end - i, 5u) << minutes << " min, width " << width << ": " << labels;
        bool tick = false;
        for (std::size_t c = i; c < end && c < axis.size(); ++c)
          tick = tick || axis[c] == "┬";
        EXPECT_TRUE(tick) << labels;
        ++runs;
        i = labels.find_first_not_of(' ', end);
      }
      EXPECT_EQ(runs, std::count(axis.begin(), axis.end(), "┬")) << labels;
      // The fit's label always; the start's, when shown, under the first column.
      EXPECT_NE(labels.find("15:00"), std::string::npos) << minutes << " min: " << labels;
      const auto start = labels.find("14:00");
      if (start != std::string::npos) {
        EXPECT_EQ(start, static_cast<std::size_t>(Plot(lines, 12).labelWidth + 1));
      }
      if (minutes <= 20 && width >= 30) {
        EXPECT_NE(start, std::string::npos) << labels;
      }
    }
}

TEST(UsageChartTest, DegenerateInputStillDraws) {
  std::vector<std::pair<std::string, UsageChartInput>> cases;
  auto add = [&](const std::string& name, auto change) {
    UsageChartInput in = linearLeak();
    change(in);
    cases.push_back({name, in});
  };
  add("no points", [](UsageChartInput& in) { in.points.clear(); });
  add("nothing", [](UsageChartInput& in) {
    in = UsageChartInput{};
    in.formatValue = mebibytes;
    in.formatTime = hoursMinutes;
  });
  add("one point", [](UsageChartInput& in) { in.points.resize(1); });
  add("one point, no trend", [](UsageChartInput& in) {
    in.points.resize(1);
    in.rate = 0;
  });
  add("all equal", [](UsageChartInput& in) {
    for (auto& p : in.points)
      p = {kT0, 5, 5};
    in.limit = 0;
    in.rate = 0;
  });
  add("all zero", [](UsageChartInput& in) {
    for (auto& p : in.points)
      p.min = p.max = 0;
    in.limit = 0;
  });
  add("negative", [](UsageChartInput& in) {
    for (auto& p : in.points)
      p.min = p.max = -3;
    in.limit = -1;
  });
  add("limit below usage", [](UsageChartInput& in) { in.limit = 10 * kMi; });
  add("already over the limit", [](UsageChartInput& in) { in.fitValue = 300 * kMi; });
  add("negative limit", [](UsageChartInput& in) { in.limit = -5; });
  add("negative rate", [](UsageChartInput& in) { in.rate = -1; });
  add("bounds swapped", [](UsageChartInput& in) { std::swap(in.rateLow, in.rateHigh); });
  add("fit long before", [](UsageChartInput& in) { in.fitTime = kT0 - 86400 * 365.0; });
  add("fit long after", [](UsageChartInput& in) { in.fitTime = 1e300; });
  add("huge values", [](UsageChartInput& in) {
    in.points.push_back({kT0 + 10, -1e308, 1e308});
    in.limit = 1e308;
  });
  add("tiny rate", [](UsageChartInput& in) { in.rate = 1e-300; });
  add("min above max", [](UsageChartInput& in) { std::swap(in.points[3].min, in.points[3].max); });
  add("equal times", [](UsageChartInput& in) {
    for (auto& p : in.points)
      p.t = kT0;
  });
  add("nan everywhere", [](UsageChartInput& in) {
    in.limit = in.fitTime = in.fitValue = in.rate = in.rateLow = in.rateHigh = kNaN;
    for (auto& p : in.points)
      p.max = kNaN;
  });
  add("inf everywhere", [](UsageChartInput& in) {
    in.limit = in.fitTime = in.fitValue = in.rate = in.rateLow = in.rateHigh = kInf;
    for (auto& p : in.points)
      p.min = -kInf;
  });
  add("no formatters", [](UsageChartInput& in) {
    in.formatValue = nullptr;
    in.formatTime = nullptr;
  });
  add("tiny", [](UsageChartInput& in) { in.width = in.height = 1; });
  add("negative size", [](UsageChartInput& in) { in.width = in.height = -7; });
  add("huge", [](UsageChartInput& in) { in.width = in.height = 1000000; });

  for (const auto& [name, in] : cases) {
    const auto lines = renderUsageChart(in);
    const int h = std::clamp(in.height, 5, 50), w = std::clamp(in.width, 20, 200);
    ASSERT_EQ(lines.size(), static_cast<std::size_t>(h + 3)) << name;
    const Plot plot(lines, h);
    EXPECT_EQ(plot.width(), w) << name;
    for (int i = 0; i <= h; ++i)
      EXPECT_EQ(displayWidth(lines[i]), displayWidth(lines[0])) << name << " line " << i;
    EXPECT_EQ(codePoints(lines[h]).size(), static_cast<std::size_t>(plot.labelWidth + 1 + w))
        << name;
    EXPECT_FALSE(lines.back().empty()) << name;
    EXPECT_NE(lines[h + 1].find_first_not_of(' '), std::string::npos) << name << ": no x label";
  }
}

TEST(UsageChartTest, TinyChartStillShowsLimitAndExhaustion) {
  UsageChartInput in = linearLeak();
  in.width = 1;
  in.height = 1;
  const auto lines = renderUsageChart(in);
  ASSERT_EQ(lines.size(), 5u + 3);
  const Plot plot(lines, 5);
  EXPECT_EQ(plot.find("✕").size(), 1u);
  EXPECT_EQ(plot.labels[1], "256Mi");
  EXPECT_NE(lines[6].find("14:00"), std::string::npos);
}

}  // namespace
}  // namespace lg::cli
