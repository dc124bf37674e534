#include "controllers/agent/sample_ring.h"

#include <algorithm>

namespace lg::agent {

SampleRing::SampleRing(std::size_t capacity) : capacity_(std::max<std::size_t>(capacity, 1)) {}

std::uint64_t SampleRing::push(AgentSample s) {
  std::lock_guard g(mu_);
  s.seq = next_++;
  const std::size_t slot = (s.seq - 1) % capacity_;
  if (slots_.size() < capacity_) {
    slots_.push_back(std::move(s));
  } else {
    slots_[slot] = std::move(s);
    ++overwritten_;
  }
  return next_ - 1;
}

SampleRing::PageInfo SampleRing::read(std::uint64_t since, std::size_t max,
                                      const std::function<void(const AgentSample&)>& visit) const {
  std::lock_guard g(mu_);
  PageInfo info;
  const std::uint64_t oldest = next_ - slots_.size();  // seq of the oldest stored sample
  if (since == 0 || since > next_) since = oldest;
  if (since < oldest) {
    info.dropped = oldest - since;
    since = oldest;
  }
  std::uint64_t seq = since;
  for (; seq < next_ && info.count < max; ++seq, ++info.count)
    visit(slots_[(seq - 1) % capacity_]);
  info.next = seq;
  info.more = seq < next_;
  return info;
}

std::size_t SampleRing::size() const {
  std::lock_guard g(mu_);
  return slots_.size();
}

std::uint64_t SampleRing::nextSeq() const {
  std::lock_guard g(mu_);
  return next_;
}

std::uint64_t SampleRing::overwritten() const {
  std::lock_guard g(mu_);
  return overwritten_;
}

}  // namespace lg::agent
