#pragma once
// parallelFor: fn(0) .. fn(n-1) on up to `threads` threads, the caller's among them; returns
// when every call has returned. Calls take the next index as they finish, so one slow call (an
// agent that times out) holds up one thread, not the others' share.

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

namespace lg {

template <typename Fn>
void parallelFor(std::size_t n, int threads, Fn&& fn) {
  std::atomic<std::size_t> next{0};
  auto worker = [&] {
    for (std::size_t i; (i = next.fetch_add(1)) < n;)
      fn(i);
  };
  const std::size_t count =
      std::min<std::size_t>(n, static_cast<std::size_t>(std::max(1, threads)));
  std::vector<std::thread> pool;
  for (std::size_t i = 1; i < count; ++i)
    pool.emplace_back(worker);
  worker();
  for (auto& t : pool)
    t.join();
}

}  // namespace lg
