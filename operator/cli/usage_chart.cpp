#include "operator/cli/usage_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>
#include <string_view>

namespace lg::cli {
namespace {

constexpr int kMinWidth = 20, kMaxWidth = 200, kMinHeight = 5, kMaxHeight = 50;
constexpr std::string_view kReset = "\x1b[0m";

// What a cell shows; a later layer hides an earlier one.
enum class Layer { kEmpty, kFitTime, kFan, kTrend, kLimit, kUsage, kExhaustion };

struct Cell {
  std::string_view glyph = " ";
  Layer layer = Layer::kEmpty;
};

std::string_view inkOf(Layer l) {
  switch (l) {
    case Layer::kUsage:
      return "\x1b[36m";
    case Layer::kTrend:
    case Layer::kFan:
      return "\x1b[33m";
    case Layer::kLimit:
    case Layer::kExhaustion:
      return "\x1b[31m";
    case Layer::kFitTime:
      return "\x1b[2m";
    default:
      return "";
  }
}

// floor(x) clamped into [lo, hi], NaN to lo: casting an out-of-range double to int is undefined.
int clampFloor(double x, int lo, int hi) {
  if (!(x >= lo)) return lo;
  if (x >= hi) return hi;
  return static_cast<int>(std::floor(x));
}

// Terminal columns of a UTF-8 string: its code points (the glyphs used here are one column).
std::size_t displayWidth(std::string_view s) {
  return std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; });
}

std::vector<std::string> codePoints(std::string_view s) {
  std::vector<std::string> out;
  for (char c : s) {
    if ((c & 0xC0) == 0x80 && !out.empty())
      out.back() += c;
    else
      out.emplace_back(1, c);
  }
  return out;
}

std::string format(const std::function<std::string(double)>& f, double v) {
  if (!std::isfinite(v)) return "?";
  if (f) return f(v);
  char buf[32];  // a missing formatter is a caller's bug; still show something
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

// A round step near x (> 0) for the bottom of the value axis: 1, 2 or 5 times a power of ten,
// but a power of two for bytes (a memory limit is at least a mebibyte, a count of fds or threads
// far less), so that the bottom reads "128Mi" rather than "122.1Mi".
double roundStep(double x, double scale) {
  if (scale >= 1024.0 * 1024) return std::exp2(std::floor(std::log2(x)));
  const double p = std::pow(10.0, std::floor(std::log10(x)));
  for (double m : {1.0, 2.0, 5.0})
    if (x <= m * p) return m * p;
  return 10 * p;
}

std::string paint(std::string_view text, Layer l, bool color) {
  if (!color || inkOf(l).empty()) return std::string(text);
  return std::string(inkOf(l)) + std::string(text) + std::string(kReset);
}

// The buckets with a finite time and at least one finite value, oldest first.
std::vector<UsagePoint> cleanPoints(const std::vector<UsagePoint>& points) {
  std::vector<UsagePoint> pts;
  for (UsagePoint p : points) {
    if (!std::isfinite(p.min)) p.min = p.max;
    if (!std::isfinite(p.max)) p.max = p.min;
    if (!std::isfinite(p.t) || !std::isfinite(p.min)) continue;
    if (p.min > p.max) std::swap(p.min, p.max);
    pts.push_back(p);
  }
  std::stable_sort(pts.begin(), pts.end(),
                   [](const UsagePoint& a, const UsagePoint& b) { return a.t < b.t; });
  return pts;
}

// The trend, when there is one, with its bounds made consistent.
struct Trend {
  bool valid = false;
  double fitTime = 0, fitValue = 0, rate = 0;
  double rateLow = 0;  // 0: no late bound
  double rateHigh = 0;
  double at(double t) const { return fitValue + rate * (t - fitTime); }
};

Trend trendOf(const UsageChartInput& in) {
  Trend tr;
  tr.valid = std::isfinite(in.fitTime) && std::isfinite(in.fitValue) && std::isfinite(in.rate) &&
             in.rate > 0;
  if (!tr.valid) return tr;
  tr.fitTime = in.fitTime;
  tr.fitValue = in.fitValue;
  tr.rate = in.rate;
  // The interval must hold the central rate; a bound that does not is ignored.
  tr.rateHigh = std::isfinite(in.rateHigh) && in.rateHigh > in.rate ? in.rateHigh : in.rate;
  tr.rateLow = std::isfinite(in.rateLow) && in.rateLow > 0 ? std::min(in.rateLow, in.rate) : 0;
  return tr;
}

// Where times and values land: columns from t0, `dt` seconds each; rows from the bottom, `dv`
// high each.
struct Frame {
  int w = 0, h = 0;
  double t0 = 0, span = 1, dt = 1, bottom = 0, dv = 1;

  int column(double t) const { return clampFloor((t - t0) / dt, 0, w - 1); }
  double columnStart(int c) const { return t0 + c * dt; }
  bool onChart(double t) const { return t >= t0 && t <= t0 + span; }
  // The epsilon keeps a value on a row boundary (the limit, by construction) in the row it
  // starts.
  double rowOf(double v) const { return (v - bottom) / dv + 1e-9; }
};

// The right edge: past the exhaustion by a margin that keeps the mark off the edge, capped so that
// a distant exhaustion does not squash the usage (at 3 times the time left, and at 5 times the
// history shown: the usage keeps a sixth of the width, the mark goes off the chart); never
// before the last bucket or the fit.
void fitTimeAxis(Frame& f, const std::vector<UsagePoint>& pts, const Trend& tr,
                 std::optional<double> exhaustion) {
  f.t0 = !pts.empty() ? pts.front().t : tr.valid ? tr.fitTime : 0;
  double right = !pts.empty() ? pts.back().t : f.t0;
  if (tr.valid) right = std::max(right, tr.fitTime);
  if (exhaustion) {
    const double left = *exhaustion - tr.fitTime;
    const double history = std::max(0.0, tr.fitTime - f.t0);
    double edge =
        std::min(*exhaustion + 0.2 * std::max(0.0, *exhaustion - f.t0), tr.fitTime + 3 * left);
    if (history > 0) edge = std::min(edge, tr.fitTime + 5 * history);
    right = std::max(right, edge);
  }
  f.span = right - f.t0;
  if (!(f.span > 0) || !std::isfinite(f.span)) f.span = 1;
  f.dt = f.span / f.w;
}

// From 0 (or a round value below the lowest usage, when 0 would flatten it) to the highest value
// (the limit, usually) at the start of the second row from the top: one row of headroom.
void fitValueAxis(Frame& f, const std::vector<UsagePoint>& pts, const Trend& tr,
                  std::optional<double> limit) {
  double lo = std::numeric_limits<double>::infinity(), high = -lo;
  for (const auto& p : pts) {
    lo = std::min(lo, p.min);
    high = std::max(high, p.max);
  }
  if (pts.empty()) lo = high = tr.valid ? tr.fitValue : 0;
  if (limit) {
    lo = std::min(lo, *limit);
    high = std::max(high, *limit);
  }
  if (lo >= 0 && lo < 0.5 * high) {
    f.bottom = 0;
  } else if (high > lo && std::isfinite(high - lo)) {
    const double step = roundStep((high - lo) / 4, std::max(std::abs(lo), std::abs(high)));
    f.bottom = std::floor(lo / step) * step;
  } else if (lo >= 0) {
    f.bottom = 0;  // flat usage: show it against zero
  } else {
    f.bottom = lo - std::max(1.0, std::abs(lo));
  }
  if (!(high > f.bottom)) high = f.bottom + 1;
  f.dv = (high - f.bottom) / (f.h - 2);
  if (!std::isfinite(f.dv) || f.dv <= 0) f.dv = 1;
}

class Canvas {
 public:
  explicit Canvas(const Frame& f) : f_(f), cells_(f.h, std::vector<Cell>(f.w)) {}
  // Row counted from the bottom; a later layer hides an earlier one, whatever the order of calls.
  void put(int row, int c, std::string_view glyph, Layer layer) {
    if (row < 0 || row >= f_.h || c < 0 || c >= f_.w) return;
    Cell& cell = cells_[f_.h - 1 - row][c];
    if (layer > cell.layer) cell = {glyph, layer};
  }
  // Rows of `from`..`to` (values, from <= to) in column c, up to row `top`.
  bool fill(int c, double from, double to, int top, std::string_view glyph, Layer layer) {
    bool any = false;
    const int a = clampFloor(f_.rowOf(from), -1, f_.h), b = clampFloor(f_.rowOf(to), -1, f_.h);
    for (int row = std::max(a, 0); row <= std::min(b, top); ++row) {
      put(row, c, glyph, layer);
      any = true;
    }
    return any;
  }
  const std::vector<Cell>& line(int r) const { return cells_[r]; }  // r from the top

 private:
  const Frame& f_;
  std::vector<std::vector<Cell>> cells_;
};

// A bucket covers the columns up to the next bucket's start, or its own length when the next is
// missing: sparse buckets draw contiguous bars, gaps stay gaps. Half blocks end a bar where its
// min or max falls in a cell's other half, so a sawtooth shows its spread.
void drawUsage(Canvas& canvas, const Frame& f, const std::vector<UsagePoint>& pts) {
  std::vector<double> gaps;
  for (std::size_t i = 1; i < pts.size(); ++i)
    if (pts[i].t > pts[i - 1].t) gaps.push_back(pts[i].t - pts[i - 1].t);
  double bucket = 0;
  if (!gaps.empty()) {
    std::nth_element(gaps.begin(), gaps.begin() + gaps.size() / 2, gaps.end());
    bucket = gaps[gaps.size() / 2];
  }
  std::vector<double> colMin(f.w, std::numeric_limits<double>::infinity());
  std::vector<double> colMax(f.w, -std::numeric_limits<double>::infinity());
  for (std::size_t i = 0; i < pts.size(); ++i) {
    const double end = i + 1 < pts.size() ? std::min(pts[i].t + bucket, pts[i + 1].t) : pts[i].t;
    const int first = f.column(pts[i].t);
    const int last = std::max(first, clampFloor(std::ceil((end - f.t0) / f.dt) - 1, 0, f.w - 1));
    for (int c = first; c <= last; ++c) {
      colMin[c] = std::min(colMin[c], pts[i].min);
      colMax[c] = std::max(colMax[c], pts[i].max);
    }
  }
  for (int c = 0; c < f.w; ++c) {
    if (colMin[c] > colMax[c]) continue;
    const int from = clampFloor(2 * f.rowOf(colMin[c]), 0, 2 * f.h - 1);
    const int to = clampFloor(2 * f.rowOf(colMax[c]), 0, 2 * f.h - 1);
    for (int row = from / 2; row <= to / 2; ++row) {
      const bool lower = 2 * row >= from, upper = 2 * row + 1 <= to;
      canvas.put(row, c, lower && upper ? "█" : lower ? "▄" : "▀", Layer::kUsage);
    }
  }
}

// The central line from the first bucket until it reaches the limit (each column fills the rows
// the line crosses in it, so a steep line stays connected), the fan after the fit's column and
// the fit's marker. Returns whether any of the fan shows.
bool drawForecast(Canvas& canvas, const Frame& f, const Trend& tr, std::optional<double> exhaustion,
                  int top) {
  const double end = exhaustion ? std::min(*exhaustion, f.t0 + f.span) : f.t0 + f.span;
  for (int c = 0; c < f.w && f.columnStart(c) <= end; ++c)
    canvas.fill(c, tr.at(f.columnStart(c)), tr.at(std::min(f.columnStart(c + 1), end)), top, "·",
                Layer::kTrend);
  bool drewFan = false;
  const bool fitOnChart = f.onChart(tr.fitTime);
  const int fitColumn = f.column(tr.fitTime);
  for (int c = fitOnChart ? fitColumn + 1 : 0; c < f.w; ++c) {
    const double ta = std::max(f.columnStart(c), tr.fitTime), tb = f.columnStart(c + 1);
    if (tb <= tr.fitTime) continue;
    drewFan |= canvas.fill(c, tr.fitValue + tr.rateLow * (ta - tr.fitTime),
                           tr.fitValue + tr.rateHigh * (tb - tr.fitTime), top, "░", Layer::kFan);
  }
  if (fitOnChart)
    for (int row = 0; row < f.h; ++row)
      canvas.put(row, fitColumn, "┊", Layer::kFitTime);
  return drewFan;
}

// The axis line and the labels under it: `ticks` in order of importance; a label that would
// touch one already placed, or repeat one, is dropped.
struct Tick {
  int column;
  double t;
};

std::vector<std::string> xAxis(const Frame& f, const std::vector<Tick>& ticks,
                               const std::function<std::string(double)>& formatTime,
                               std::size_t indent) {
  std::vector<std::string> under(f.w, " ");
  std::vector<bool> used(f.w, false), tickAt(f.w, false);
  std::vector<std::string> placed;
  for (const Tick& tick : ticks) {
    const std::string label = format(formatTime, tick.t);
    const auto text = codePoints(label);
    const int n = static_cast<int>(text.size());
    if (n == 0 || n > f.w || tickAt[tick.column]) continue;
    if (std::find(placed.begin(), placed.end(), label) != placed.end()) continue;
    // Centred on its tick, else beginning or ending there: any of them reads as that tick's.
    int start = -1;
    for (int at : {tick.column - n / 2, tick.column, tick.column - n + 1}) {
      at = std::clamp(at, 0, f.w - n);
      if (tick.column < at || tick.column >= at + n) continue;
      bool free = true;  // with a blank either side, so two labels never read as one
      for (int c = std::max(0, at - 1); c <= std::min(f.w - 1, at + n); ++c)
        free = free && !used[c];
      if (free) {
        start = at;
        break;
      }
    }
    if (start < 0) continue;
    for (int i = 0; i < n; ++i) {
      used[start + i] = true;
      under[start + i] = text[i];
    }
    tickAt[tick.column] = true;
    placed.push_back(label);
  }
  std::string axis(indent, ' ');
  axis += "└";
  std::string labels(indent + 1, ' ');
  for (int c = 0; c < f.w; ++c) {
    axis += tickAt[c] ? "┬" : "─";
    labels += under[c];
  }
  labels.erase(labels.find_last_not_of(' ') + 1);
  return {axis, labels};
}

}  // namespace

std::vector<std::string> renderUsageChart(const UsageChartInput& in) {
  Frame f;
  f.w = std::clamp(in.width, kMinWidth, kMaxWidth);
  f.h = std::clamp(in.height, kMinHeight, kMaxHeight);
  const auto pts = cleanPoints(in.points);
  const Trend tr = trendOf(in);
  std::optional<double> limit;
  if (std::isfinite(in.limit) && in.limit > 0) limit = in.limit;
  std::optional<double> exhaustion;  // when the central forecast reaches the limit
  if (tr.valid && limit) {
    const double left = std::max(0.0, (*limit - tr.fitValue) / tr.rate);
    if (std::isfinite(tr.fitTime + 3 * left)) exhaustion = tr.fitTime + left;
  }
  fitTimeAxis(f, pts, tr, exhaustion);
  fitValueAxis(f, pts, tr, limit);
  const int limitRow = limit ? clampFloor(f.rowOf(*limit), 0, f.h - 1) : f.h;
  const bool exhaustionOnChart = exhaustion && f.onChart(*exhaustion);
  const bool fitOnChart = tr.valid && f.onChart(tr.fitTime);

  Canvas canvas(f);
  drawUsage(canvas, f, pts);
  // The trend and the fan stay below the limit.
  const bool drewFan = tr.valid && drawForecast(canvas, f, tr, exhaustion, limitRow - 1);
  if (limit)
    for (int c = 0; c < f.w; ++c)
      canvas.put(limitRow, c, "━", Layer::kLimit);
  if (exhaustionOnChart) canvas.put(limitRow, f.column(*exhaustion), "✕", Layer::kExhaustion);

  // Y-axis labels: bottom, top and limit rows, and every fourth row between where it is not next
  // to another label.
  std::vector<bool> labelled(f.h, false);
  labelled[0] = labelled[f.h - 1] = true;
  if (limit) labelled[limitRow] = true;
  for (int row = 4; row < f.h - 1; row += 4)
    if (!labelled[row - 1] && !labelled[row] && !labelled[row + 1]) labelled[row] = true;
  std::vector<std::string> labels(f.h);
  std::size_t labelWidth = 0;
  for (int row = 0; row < f.h; ++row) {
    if (!labelled[row]) continue;
    labels[row] = format(in.formatValue, limit && row == limitRow ? *limit : f.bottom + row * f.dv);
    labelWidth = std::max(labelWidth, displayWidth(labels[row]));
  }

  std::vector<std::string> lines;
  for (int r = 0; r < f.h; ++r) {
    const int row = f.h - 1 - r;
    std::string line(labelWidth - displayWidth(labels[row]), ' ');
    line += labels[row];
    line += labelled[row] ? "┤" : "│";
    std::string_view ink;
    for (const Cell& cell : canvas.line(r)) {
      const std::string_view want = in.color ? inkOf(cell.layer) : "";
      if (want != ink) {
        if (!ink.empty()) line += kReset;
        line += want;
        ink = want;
      }
      line += cell.glyph;
    }
    if (!ink.empty()) line += kReset;
    lines.push_back(std::move(line));
  }

  // The fit and the exhaustion first: when the usage is squashed to the left, the start is what
  // an SRE misses least. The right edge's label only without an exhaustion, whose label it would
  // crowd.
  std::vector<Tick> ticks;
  if (fitOnChart) ticks.push_back({f.column(tr.fitTime), tr.fitTime});
  if (exhaustionOnChart) ticks.push_back({f.column(*exhaustion), *exhaustion});
  ticks.push_back({0, f.t0});
  if (!exhaustionOnChart) ticks.push_back({f.w - 1, f.t0 + f.span});
  for (auto& line : xAxis(f, ticks, in.formatTime, labelWidth))
    lines.push_back(std::move(line));

  std::vector<std::string> legend;
  legend.push_back(pts.empty() ? "no usage samples"
                               : paint("█", Layer::kUsage, in.color) + " usage min-max");
  if (tr.valid) legend.push_back(paint("·", Layer::kTrend, in.color) + " trend");
  if (drewFan) legend.push_back(paint("░", Layer::kFan, in.color) + " 90% forecast");
  if (limit)
    legend.push_back(paint("━", Layer::kLimit, in.color) + " limit " +
                     format(in.formatValue, *limit));
  if (exhaustionOnChart)
    legend.push_back(paint("✕", Layer::kExhaustion, in.color) + " limit reached");
  if (fitOnChart) legend.push_back(paint("┊", Layer::kFitTime, in.color) + " fit");
  std::string last;
  for (const auto& part : legend)
    last += (last.empty() ? "" : "  ") + part;
  lines.push_back(std::move(last));
  return lines;
}

}  // namespace lg::cli
