#pragma once
// Synthetic usage series for the detector's tests, one generator per pattern of
// README.md ("Usage traces"), with seeded randomness (missed scrapes, jitter, noise) so every test run
// sees the same series. The tests make their own data: they never read the scored traces.

#include <cstdint>
#include <string>
#include <vector>

namespace lg::detect::testing {

enum class Pattern {
  // leaks
  kLinear,        // flat, then linear growth to the limit
  kSawtoothLeak,  // GC sawtooth whose troughs rise
  kSteps,         // irregular upward steps
  kDiurnalLeak,   // linear growth under a daily cycle
  kRestarts,      // linear to the limit, OOM-killed, again
  kFdLeak,        // open fds grow linearly
  kThreadLeak,    // threads grow linearly, in small steps
  // look-alikes
  kFlatSpikes,
  kWarmup,    // saturates to a plateau below the limit
  kSawtooth,  // stable troughs
  kDiurnal,
  kBatch,       // periodic ramps that drop back
  kLevelShift,  // one step up after a deploy, then flat
  kFdPool,      // a busy pool: noisy, flat
};

struct Sample {
  double t;
  double value;
  double limit;
};

struct Series {
  std::vector<Sample> samples;
  bool leak = false;
  double onset = 0;       // seconds; leaks only
  double exhaustion = 0;  // seconds; leaks only
  std::string describe;   // pattern and parameters, for failure messages
};

Series generate(Pattern p, uint64_t seed);
const char* name(Pattern p);

}  // namespace lg::detect::testing
