#include "operator/util/clock.h"

namespace lg {

SystemClock& SystemClock::instance() {
  static SystemClock clock;
  return clock;
}

}  // namespace lg
