#include "operator/kube/connection_pool.h"

namespace lg::kube {

ConnectionPool::ConnectionPool(const Clock& clock, size_t maxIdle, std::chrono::seconds idleTimeout)
    : clock_(clock), maxIdle_(maxIdle), idleTimeout_(idleTimeout) {}

std::unique_ptr<HttpConnection> ConnectionPool::take(uint64_t generation) {
  std::vector<std::unique_ptr<HttpConnection>> dropped;  // closed outside the lock
  std::unique_ptr<HttpConnection> found;
  {
    std::lock_guard lock(mu_);
    const auto now = clock_.steadyNow();
    while (!idle_.empty() && !found) {
      std::unique_ptr<HttpConnection> c = std::move(idle_.back());
      idle_.pop_back();
      if (c->generation != generation || now - c->idleSince >= idleTimeout_ || c->unusable()) {
        dropped.push_back(std::move(c));
      } else {
        found = std::move(c);
      }
    }
  }
  return found;
}

void ConnectionPool::put(std::unique_ptr<HttpConnection> connection) {
  if (maxIdle_ == 0) return;
  std::unique_ptr<HttpConnection> evicted;  // closed outside the lock
  {
    std::lock_guard lock(mu_);
    connection->idleSince = clock_.steadyNow();
    if (idle_.size() >= maxIdle_) {
      evicted = std::move(idle_.front());
      idle_.erase(idle_.begin());
    }
    idle_.push_back(std::move(connection));
  }
}

size_t ConnectionPool::idle() const {
  std::lock_guard lock(mu_);
  return idle_.size();
}

}  // namespace lg::kube
