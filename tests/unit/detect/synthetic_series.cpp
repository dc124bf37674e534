#include "synthetic_series.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <numbers>
#include <random>
#include <sstream>

namespace lg::detect::testing {
namespace {

constexpr double kMi = 1024.0 * 1024.0;
constexpr double kDay = 86400.0;

class Gen {
 public:
  explicit Gen(uint64_t seed) : rng_(seed) {}
  double uniform(double a, double b) { return std::uniform_real_distribution<double>(a, b)(rng_); }
  double normal(double sd) { return sd > 0 ? std::normal_distribution<double>(0, sd)(rng_) : 0; }
  int integer(int a, int b) { return std::uniform_int_distribution<int>(a, b)(rng_); }

  // Sample times: a scrape interval of 15, 30 or 60 s, jittered, with 2% missed scrapes.
  std::vector<double> times(double duration) {
    const double dt = std::array<double, 3>{15, 30, 60}[static_cast<std::size_t>(integer(0, 2))];
    std::vector<double> ts;
    for (double t = 0; t < duration; t += dt) {
      if (uniform(0, 1) < 0.02) continue;
      ts.push_back(std::max(0.0, t + uniform(-0.1, 0.1) * dt));
    }
    return ts;
  }

 private:
  std::mt19937_64 rng_;
};

Series fill(Gen& g, double duration, double limit, double noise,
            const std::function<double(double)>& f) {
  Series s;
  for (double t : g.times(duration))
    s.samples.push_back({t, std::max(1.0, f(t) + g.normal(noise)), limit});
  return s;
}

}  // namespace

const char* name(Pattern p) {
  switch (p) {
    case Pattern::kLinear:
      return "linear";
    case Pattern::kSawtoothLeak:
      return "sawtooth-leak";
    case Pattern::kSteps:
      return "steps";
    case Pattern::kDiurnalLeak:
      return "diurnal-leak";
    case Pattern::kRestarts:
      return "restarts";
    case Pattern::kFdLeak:
      return "fd-leak";
    case Pattern::kThreadLeak:
      return "thread-leak";
    case Pattern::kFlatSpikes:
      return "flat-spikes";
    case Pattern::kWarmup:
      return "warmup";
    case Pattern::kSawtooth:
      return "sawtooth";
    case Pattern::kDiurnal:
      return "diurnal";
    case Pattern::kBatch:
      return "batch";
    case Pattern::kLevelShift:
      return "level-shift";
    case Pattern::kFdPool:
      return "fd-pool";
  }
  return "?";
}

Series generate(Pattern p, uint64_t seed) {
  Gen g(seed);
  const double base = g.uniform(100, 1000) * kMi;
  double limit = base * g.uniform(1.4, 2.6);
  const double noise = base * g.uniform(0.003, 0.02);
  std::ostringstream d;
  d << name(p) << " seed=" << seed << " base=" << base / kMi << "Mi limit=" << limit / kMi << "Mi";
  Series s;
  switch (p) {
    case Pattern::kLinear: {
      const double onset = g.uniform(0.3, 5) * 3600, runway = g.uniform(5, 16) * 3600;
      const double slope = (limit - base) / runway;
      s = fill(g, onset + runway * 0.97, limit, noise,
               [=](double t) { return base + std::max(0.0, t - onset) * slope; });
      s.leak = true;
      s.onset = onset;
      s.exhaustion = onset + runway;
      break;
    }
    case Pattern::kSawtoothLeak: {
      const double period = g.uniform(5, 30) * 60, amp = base * g.uniform(0.1, 0.4);
      const double runway = g.uniform(10, 30) * 3600;
      const double slope = (limit - base - amp) / runway;
      s = fill(g, runway * 0.97, limit, noise,
               [=](double t) { return base + slope * t + amp * std::fmod(t, period) / period; });
      s.leak = true;
      s.exhaustion = runway;
      break;
    }
    case Pattern::kSteps: {
      const double onset = g.uniform(0.2, 4) * 3600, runway = g.uniform(8, 26) * 3600;
      const int n = g.integer(8, 20);
      std::vector<double> gaps, heights;
      for (int i = 0; i < n; ++i)
        gaps.push_back(g.uniform(0.4, 1.6));
      for (int i = 0; i < n; ++i)
        heights.push_back(g.uniform(0.3, 1.7));
      double gsum = 0, hsum = 0;
      for (double x : gaps)
        gsum += x;
      for (double x : heights)
        hsum += x;
      std::vector<std::pair<double, double>> steps;
      double acc = 0;
      for (int i = 0; i < n; ++i) {
        steps.emplace_back(onset + runway * acc / gsum, (limit - base) * heights[i] / hsum);
        acc += gaps[i];
      }
      s = fill(g, steps.back().first - 60, limit, noise, [=](double t) {
        double v = base;
        for (const auto& [at, h] : steps)
          if (t >= at) v += h;
        return v;
      });
      s.leak = true;
      s.onset = onset;
      s.exhaustion = steps.back().first;
      break;
    }
    case Pattern::kDiurnalLeak: {
      const double runway = g.uniform(24, 60) * 3600, phase = g.uniform(0, 2 * std::numbers::pi);
      const double slope = (limit - base) / runway;
      const double amp = slope * kDay * g.uniform(0.15, 0.6);
      s = fill(g, runway * 0.97, limit, noise, [=](double t) {
        return base + slope * t + amp * std::sin(2 * std::numbers::pi * t / kDay + phase);
      });
      s.leak = true;
      s.exhaustion = runway;
      break;
    }
    case Pattern::kRestarts: {
      const double runway = g.uniform(1.5, 7) * 3600, slope = (limit - base) / runway;
      s = fill(g, runway * g.uniform(2, 3), limit, noise,
               [=](double t) { return base + slope * std::fmod(t, runway); });
      s.leak = true;
      s.exhaustion = runway;
      break;
    }
    case Pattern::kFdLeak: {
      const double onset = g.uniform(0.1, 3) * 3600, runway = g.uniform(4, 25) * 3600;
      limit = std::array<double, 3>{1024, 4096, 65536}[static_cast<std::size_t>(g.integer(0, 2))];
      const double b = g.uniform(20, 120), slope = (limit - b) / runway;
      s = fill(g, onset + runway * 0.97, limit, 0,
               [=](double t) { return std::round(b + std::max(0.0, t - onset) * slope); });
      s.leak = true;
      s.onset = onset;
      s.exhaustion = onset + runway;
      break;
    }
    case Pattern::kThreadLeak: {
      const double runway = g.uniform(4, 24) * 3600;
      limit = 1024;
      const double b = g.uniform(30, 80), slope = (limit - b) / runway;
      s = fill(g, runway * 0.97, limit, 0.7, [=](double t) { return std::floor(b + t * slope); });
      s.leak = true;
      s.exhaustion = runway;
      break;
    }
    case Pattern::kFlatSpikes: {
      const double duration = g.uniform(10, 48) * 3600, spike = base * g.uniform(0.3, 1.0);
      s = fill(g, duration, limit, noise, [&g, base, spike](double) {
        return base + (g.uniform(0, 1) < 0.004 ? spike : 0.0);
      });
      break;
    }
    case Pattern::kWarmup: {
      const double tau = g.uniform(0.2, 3) * 3600, amp = base * g.uniform(0.2, 0.9);
      limit = std::max(limit, (base + amp) * 1.25);
      s = fill(g, g.uniform(10, 48) * 3600, limit, noise,
               [=](double t) { return base + amp * (1 - std::exp(-t / tau)); });
      break;
    }
    case Pattern::kSawtooth: {
      const double period = g.uniform(5, 40) * 60, amp = base * g.uniform(0.2, 0.8);
      limit = std::max(limit, (base + amp) * 1.2);
      s = fill(g, g.uniform(10, 48) * 3600, limit, noise,
               [=](double t) { return base + amp * std::fmod(t, period) / period; });
      break;
    }
    case Pattern::kDiurnal: {
      const double amp = base * g.uniform(0.1, 0.35), phase = g.uniform(0, 2 * std::numbers::pi);
      limit = std::max(limit, (base + amp) * 1.2);
      s = fill(g, g.uniform(30, 60) * 3600, limit, noise, [=](double t) {
        return base + amp * std::sin(2 * std::numbers::pi * t / kDay + phase);
      });
      break;
    }
    case Pattern::kBatch: {
      const double period = g.uniform(2, 6) * 3600, ramp = g.uniform(5, 40) * 60;
      const double amp = base * g.uniform(0.2, 1.0), offset = g.uniform(0, period);
      limit = std::max(limit, (base + amp) * 1.2);
      s = fill(g, g.uniform(10, 48) * 3600, limit, noise, [=](double t) {
        const double u = std::fmod(t + offset, period);
        return base + (u < ramp ? amp * u / ramp : 0.0);
      });
      break;
    }
    case Pattern::kLevelShift: {
      const double at = g.uniform(1, 10) * 3600, h = base * g.uniform(0.1, 1.0);
      limit = std::max(limit, (base + h) * 1.3);
      s = fill(g, g.uniform(10, 48) * 3600, limit, noise,
               [=](double t) { return base + (t >= at ? h : 0.0); });
      break;
    }
    case Pattern::kFdPool: {
      limit = 4096;
      const double mean = g.uniform(500, 2500), sd = mean * g.uniform(0.05, 0.15);
      s = fill(g, g.uniform(10, 48) * 3600, limit, sd, [=](double) { return mean; });
      for (auto& x : s.samples)
        x.value = std::round(x.value);
      break;
    }
  }
  s.describe = d.str();
  return s;
}

}  // namespace lg::detect::testing
