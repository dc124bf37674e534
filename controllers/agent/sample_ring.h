#pragma once
// SampleRing: the agent's bounded buffer of samples, numbered 1, 2, 3, ... in the order they
// were taken. When full, a new sample overwrites the oldest, so the agent's memory stays bounded
// however long nobody collects (the collector learns how many it lost from `dropped`).
//
// Thread-safe: one mutex. The sampler pushes; the server reads pages.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

#include "controllers/agent/agent_sample.h"

namespace lg::agent {

class SampleRing {
 public:
  explicit SampleRing(std::size_t capacity);

  // Stores the sample with the next sequence number, which it returns.
  std::uint64_t push(AgentSample s);

  struct PageInfo {
    std::uint64_t next = 0;     // the sequence number to ask for next
    std::uint64_t dropped = 0;  // samples after `since` that were overwritten before this read
    bool more = false;          // samples were left out because of `max`
    std::size_t count = 0;      // samples visited
  };
  // Visits, oldest first, up to `max` samples with seq >= since (0 or 1: from the oldest), under
  // the lock (the visitor must be quick and must not call into the ring). A `since` beyond the
  // next sequence number (a collector that talked to an earlier run of the agent) starts over
  // from the oldest sample.
  PageInfo read(std::uint64_t since, std::size_t max,
                const std::function<void(const AgentSample&)>& visit) const;

  std::size_t size() const;
  std::size_t capacity() const { return capacity_; }
  std::uint64_t nextSeq() const;
  std::uint64_t overwritten() const;

 private:
  const std::size_t capacity_;
  mutable std::mutex mu_;
  std::vector<AgentSample> slots_;  // slot of seq s: (s - 1) % capacity
  std::uint64_t next_ = 1;
  std::uint64_t overwritten_ = 0;
};

}  // namespace lg::agent
