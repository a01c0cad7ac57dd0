#include "gtest_listener/thread_census.hpp"

#include <unistd.h>

#include <algorithm>
#include <thread>

#include "proc/proc.hpp"

namespace stray::gtest {

namespace {

// A thread told to stop usually exits within a millisecond, so the first
// re-listing comes soon; later ones back off to keep a slow shutdown from
// costing a listing every millisecond.
constexpr std::chrono::microseconds kFirstDelay{500};
constexpr std::chrono::microseconds kMaxDelay{50'000};

}  // namespace

Census take_census() {
  const int pid = ::getpid();
  Census census;
  for (int tid : proc::read_tids(pid)) {
    std::optional<proc::TaskStat> stat = proc::try_read_task_stat(pid, tid);
    if (!stat) continue;
    census.push_back(CensusEntry{tid, stat->start_time, std::move(stat->comm)});
  }
  return census;
}

Census new_threads(const Census& before, const Census& now) {
  Census added;
  for (const CensusEntry& entry : now) {
    auto earlier = std::lower_bound(before.begin(), before.end(), entry.tid,
                                    [](const CensusEntry& e, int tid) { return e.tid < tid; });
    bool known = earlier != before.end() && earlier->tid == entry.tid &&
                 earlier->start_time == entry.start_time;
    if (!known) added.push_back(entry);
  }
  return added;
}

Census wait_for_new_threads(const Census& before, std::chrono::microseconds grace) {
  const auto deadline = std::chrono::steady_clock::now() + grace;
  std::chrono::microseconds delay = kFirstDelay;
  while (true) {
    Census added = new_threads(before, take_census());
    const auto now = std::chrono::steady_clock::now();
    if (added.empty() || now >= deadline) return added;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(delay, deadline - now));
    delay = std::min(delay * 2, kMaxDelay);
  }
}

}  // namespace stray::gtest
