#pragma once
// RuntimeLine: the memory a container reaches when its runtime (a JVM, Node.js) dies of its own
// out-of-memory error: the runtime's heap cap plus what the process holds outside its heap
// (code, metaspace, thread stacks, the runtime's own buffers). The part outside the heap is
// estimated as the lowest usage seen once the container has run for settleSeconds, when its
// heap is nearly empty: measured on a JVM (126Mi cap, 42Mi floor, died at 166Mi) and a Node.js
// process (259Mi cap, 7Mi floor, died at 273Mi), the line is within 3% of where each died.
// A container first seen mid-leak gets a higher floor, so a later line: a forecast that comes
// late, never early. Pure; one per series, reset when the container restarts.

#include <limits>

namespace lg::detect {

class RuntimeLine {
 public:
  static constexpr double kSettleSeconds = 30;

  // Feeds one sample (t in seconds, usage and the runtime's heap cap in bytes). Returns the
  // line in bytes, or 0 while the floor is not known yet (the first kSettleSeconds).
  double add(double t, double value, double heapCap);
  void reset();
  // The estimate of what lies outside the heap (NaN until known).
  double outsideHeap() const { return floor_; }

 private:
  double first_ = std::numeric_limits<double>::quiet_NaN();
  double floor_ = std::numeric_limits<double>::quiet_NaN();
};

}  // namespace lg::detect
