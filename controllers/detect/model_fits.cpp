#include "controllers/detect/model_fits.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numbers>
#include <vector>

namespace lg::detect {
namespace {

constexpr double kOmega = 2 * std::numbers::pi / 24.0;  // one cycle a day, x in hours

// Solves the n x n system A z = b in place (Gaussian elimination with partial pivoting).
// Returns false when A is singular to working precision.
template <std::size_t N>
bool solve(std::array<std::array<double, N>, N>& a, std::array<double, N>& b) {
  for (std::size_t c = 0; c < N; ++c) {
    std::size_t p = c;
    for (std::size_t r = c + 1; r < N; ++r)
      if (std::abs(a[r][c]) > std::abs(a[p][c])) p = r;
    if (std::abs(a[p][c]) < 1e-12) return false;
    std::swap(a[p], a[c]);
    std::swap(b[p], b[c]);
    for (std::size_t r = c + 1; r < N; ++r) {
      const double f = a[r][c] / a[c][c];
      for (std::size_t k = c; k < N; ++k)
        a[r][k] -= f * a[c][k];
      b[r] -= f * b[c];
    }
  }
  for (std::size_t c = N; c-- > 0;) {
    double s = b[c];
    for (std::size_t k = c + 1; k < N; ++k)
      s -= a[c][k] * b[k];
    b[c] = s / a[c][c];
  }
  return true;
}

// Least squares of y on columns {1, u}: returns intercept, slope and rss.
struct Simple {
  double a = 0, b = 0, rss = 0, sxx = 0;
};
Simple simpleRegression(double n, double su, double suu, double sy, double syy, double suy) {
  Simple s;
  const double sxx = suu - su * su / n;
  s.sxx = sxx;
  if (sxx <= 1e-15) {
    s.a = sy / n;
    s.rss = std::max(0.0, syy - sy * sy / n);
    return s;
  }
  s.b = (suy - su * sy / n) / sxx;
  s.a = (sy - s.b * su) / n;
  s.rss = std::max(0.0, syy - s.a * sy - s.b * suy);
  return s;
}

double sumSquares(std::span<const double> y) {
  double s = 0;
  for (double v : y)
    s += v * v;
  return s;
}

}  // namespace

LineFit fitLine(std::span<const double> x, std::span<const double> y) {
  const double n = static_cast<double>(y.size());
  double sx = 0, sxx = 0, sy = 0, syy = 0, sxy = 0;
  for (std::size_t i = 0; i < y.size(); ++i) {
    sx += x[i];
    sxx += x[i] * x[i];
    sy += y[i];
    syy += y[i] * y[i];
    sxy += x[i] * y[i];
  }
  const Simple s = simpleRegression(n, sx, sxx, sy, syy, sxy);
  LineFit f{.intercept = s.a, .slope = s.b, .slopeSe = 0, .rss = s.rss};
  if (n > 2 && s.sxx > 0) f.slopeSe = std::sqrt(s.rss / (n - 2) / s.sxx);
  return f;
}

HingeFit fitHinge(std::span<const double> x, std::span<const double> y, std::size_t minAfter) {
  HingeFit best;
  const std::size_t n = y.size();
  if (n < minAfter + 2) return best;
  double sy = 0, syy = 0;
  for (double v : y) {
    sy += v;
    syy += v * v;
  }
  // Suffix sums over points after the hinge: sum x, x^2, y, x*y.
  double px = 0, pxx = 0, py = 0, pxy = 0;
  best.rss = std::numeric_limits<double>::infinity();
  const double dn = static_cast<double>(n);
  for (std::size_t h = n - 1; h >= 1; --h) {
    // Points strictly after h contribute u = x - x[h] > 0 (x is increasing).
    px += x[h];
    pxx += x[h] * x[h];
    py += y[h];
    pxy += x[h] * y[h];
    const std::size_t after = n - h;  // includes h itself, where u = 0
    if (after - 1 >= minAfter && h + 1 < n) {
      const double xh = x[h];
      const double m = static_cast<double>(after);
      const double su = px - m * xh;
      const double suu = pxx - 2 * xh * px + m * xh * xh;
      const double suy = pxy - xh * py;
      const Simple s = simpleRegression(dn, su, suu, sy, syy, suy);
      if (s.b > 0 && s.rss < best.rss) {
        best.found = true;
        best.hinge = h;
        best.slope = s.b;
        best.rss = s.rss;
        best.slopeSe = (n > 3 && s.sxx > 0) ? std::sqrt(s.rss / (dn - 3) / s.sxx) : 0;
      }
    }
    if (h == 1) break;
  }
  return best;
}

double fitConstant(std::span<const double> y) {
  const double n = static_cast<double>(y.size());
  double sy = 0;
  for (double v : y)
    sy += v;
  return std::max(0.0, sumSquares(y) - sy * sy / n);
}

double fitStep(std::span<const double> y) {
  const std::size_t n = y.size();
  double total = 0, totalSq = 0;
  for (double v : y) {
    total += v;
    totalSq += v * v;
  }
  double best = std::max(0.0, totalSq - total * total / static_cast<double>(n));
  double s1 = 0, q1 = 0;
  for (std::size_t s = 1; s + 1 < n; ++s) {
    s1 += y[s - 1];
    q1 += y[s - 1] * y[s - 1];
    if (s < 2) continue;
    const double n1 = static_cast<double>(s), n2 = static_cast<double>(n - s);
    const double s2 = total - s1, q2 = totalSq - q1;
    best = std::min(best, (q1 - s1 * s1 / n1) + (q2 - s2 * s2 / n2));
  }
  return std::max(0.0, best);
}

double fitSaturating(std::span<const double> x, std::span<const double> y, double plateauMax,
                     int taus) {
  const std::size_t n = y.size();
  const double dn = static_cast<double>(n);
  double sy = 0, syy = 0;
  for (double v : y) {
    sy += v;
    syy += v * v;
  }
  double best = std::max(0.0, syy - sy * sy / dn);
  thread_local std::vector<double> e;
  e.resize(n);
  const double lo = std::log(0.1), hi = std::log(200.0);
  for (int k = 0; k < taus; ++k) {
    const double tau = std::exp(lo + (hi - lo) * k / std::max(1, taus - 1));
    double se = 0, see = 0, sey = 0;
    for (std::size_t i = 0; i < n; ++i) {
      e[i] = std::exp(-(x[i] - x[0]) / tau);
      se += e[i];
      see += e[i] * e[i];
      sey += e[i] * y[i];
    }
    const Simple s = simpleRegression(dn, se, see, sy, syy, sey);
    if (s.b >= 0) continue;  // not rising towards a plateau
    if (s.a < plateauMax) {
      best = std::min(best, s.rss);
      continue;
    }
    // The best curve's plateau is too high: pin it at plateauMax, fit the amplitude alone.
    if (see <= 0) continue;
    const double b = (sey - plateauMax * se) / see;
    // rss = sum (y - P - b e)^2, expanded over the sums already at hand.
    const double rss = syy - 2 * plateauMax * sy + dn * plateauMax * plateauMax -
                       2 * b * (sey - plateauMax * se) + b * b * see;
    best = std::min(best, std::max(0.0, rss));
  }
  return best;
}

double fitDaily(std::span<const double> x, std::span<const double> y, double peakMax) {
  const std::size_t n = y.size();
  thread_local std::vector<double> sn, cs;
  sn.resize(n);
  cs.resize(n);
  std::array<std::array<double, 3>, 3> a{};
  std::array<double, 3> b{};
  double syy = 0, sy = 0, sys = 0, syc = 0, sss = 0, scc = 0, ssc = 0, ss = 0, sc = 0;
  for (std::size_t i = 0; i < n; ++i) {
    sn[i] = std::sin(kOmega * x[i]);
    cs[i] = std::cos(kOmega * x[i]);
    sy += y[i];
    syy += y[i] * y[i];
    sys += y[i] * sn[i];
    syc += y[i] * cs[i];
    ss += sn[i];
    sc += cs[i];
    sss += sn[i] * sn[i];
    scc += cs[i] * cs[i];
    ssc += sn[i] * cs[i];
  }
  const double dn = static_cast<double>(n);
  a = {{{dn, ss, sc}, {ss, sss, ssc}, {sc, ssc, scc}}};
  b = {sy, sys, syc};
  if (solve(a, b) && b[0] + std::hypot(b[1], b[2]) < peakMax) {
    double rss = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const double e = y[i] - b[0] - b[1] * sn[i] - b[2] * cs[i];
      rss += e * e;
    }
    return rss;
  }
  // The unconstrained optimum breaks the constraint, so the constrained one lies on it:
  // y = peakMax + r (sin(w x + th) - 1), r >= 0. For each phase r has a closed form, and with
  // sin(w x + th) = sin(w x) cos th + cos(w x) sin th every sum comes from the ones above.
  const double d = sy - dn * peakMax;  // sum (y - P)
  auto boundary = [&](double th) {
    const double ct = std::cos(th), st = std::sin(th);
    const double sz = ct * ss + st * sc - dn;  // sum z, z = sin(.) - 1
    const double szz = ct * ct * sss + st * st * scc + 2 * ct * st * ssc - 2 * (sz + dn) + dn;
    const double syz = ct * sys + st * syc - sy - peakMax * sz;  // sum (y - P) z
    const double r = szz > 0 ? std::max(0.0, syz / szz) : 0.0;
    const double yy = syy - 2 * peakMax * sy + dn * peakMax * peakMax;  // sum (y - P)^2
    (void)d;
    return std::max(0.0, yy - 2 * r * syz + r * r * szz);
  };
  constexpr int kPhases = 36;
  constexpr double kStep = 2 * std::numbers::pi / kPhases;
  double bestRss = std::numeric_limits<double>::infinity();
  int bestK = 0;
  for (int k = 0; k < kPhases; ++k) {
    const double r = boundary(k * kStep);
    if (r < bestRss) {
      bestRss = r;
      bestK = k;
    }
  }
  // Golden-section refinement around the best grid phase.
  const double g = (std::sqrt(5.0) - 1) / 2;
  double lo = (bestK - 1) * kStep, hi = (bestK + 1) * kStep;
  double c = hi - g * (hi - lo), e = lo + g * (hi - lo);
  double fc = boundary(c), fe = boundary(e);
  for (int it = 0; it < 20; ++it) {
    if (fc < fe) {
      hi = e;
      e = c;
      fe = fc;
      c = hi - g * (hi - lo);
      fc = boundary(c);
    } else {
      lo = c;
      c = e;
      fc = fe;
      e = lo + g * (hi - lo);
      fe = boundary(e);
    }
  }
  return std::min({bestRss, fc, fe});
}

LineDailyFit fitLineDaily(std::span<const double> x, std::span<const double> y) {
  const std::size_t n = y.size();
  LineDailyFit f;
  if (n < 6) return f;
  std::array<std::array<double, 4>, 4> a{};
  std::array<double, 4> b{};
  for (std::size_t i = 0; i < n; ++i) {
    const std::array<double, 4> r{1.0, x[i], std::sin(kOmega * x[i]), std::cos(kOmega * x[i])};
    for (int p = 0; p < 4; ++p) {
      b[p] += r[p] * y[i];
      for (int q = 0; q < 4; ++q)
        a[p][q] += r[p] * r[q];
    }
  }
  const auto normal = a;
  if (!solve(a, b)) return f;
  double rss = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double e =
        y[i] - b[0] - b[1] * x[i] - b[2] * std::sin(kOmega * x[i]) - b[3] * std::cos(kOmega * x[i]);
    rss += e * e;
  }
  // Variance of the slope: sigma^2 times the (1,1) entry of the inverse normal matrix.
  auto m = normal;
  std::array<double, 4> unit{0, 1, 0, 0};
  double inv11 = 0;
  if (solve(m, unit)) inv11 = unit[1];
  f.ok = true;
  f.slope = b[1];
  f.rss = rss;
  f.slopeSe = (n > 4 && inv11 > 0) ? std::sqrt(rss / (static_cast<double>(n) - 4) * inv11) : 0;
  return f;
}

}  // namespace lg::detect
