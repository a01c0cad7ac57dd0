#include "gtest_listener/thread_census.hpp"

#include <unistd.h>

#include <algorithm>
#include <thread>

#include "proc/proc.hpp"

namespace stray::gtest {

namespace {

// A thread that was asked to stop usually exits within a millisecond, so
// the first re-listing comes soon. Later ones back off, so that a slow
// shutdown does not cost a listing every millisecond.
constexpr std::chrono::microseconds kFirstDelay{500};
constexpr std::chrono::microseconds kMaxDelay{50'000};

const CensusEntry* find_tid(const Census& census, int tid) {
  auto entry = std::lower_bound(census.begin(), census.end(), tid,
                                [](const CensusEntry& e, int wanted) { return e.tid < wanted; });
  return entry != census.end() && entry->tid == tid ? &*entry : nullptr;
}

}  // namespace

Census take_census_reusing(const Census& recent) {
  const int pid = ::getpid();
  Census census;
  for (int tid : proc::read_tids(pid)) {
    if (const CensusEntry* known = find_tid(recent, tid)) {
      census.push_back(*known);
      continue;
    }
    std::optional<proc::TaskStat> stat = proc::try_read_task_stat(pid, tid);
    if (!stat) continue;
    census.push_back(CensusEntry{tid, stat->start_time, std::move(stat->comm)});
  }
  return census;
}

Census take_census() { return take_census_reusing({}); }

Census new_threads(const Census& before, const Census& now) {
  Census added;
  for (const CensusEntry& entry : now) {
    const CensusEntry* earlier = find_tid(before, entry.tid);
    if (earlier == nullptr || earlier->start_time != entry.start_time) added.push_back(entry);
  }
  return added;
}

Census wait_for_new_threads(const Census& before, std::chrono::microseconds grace) {
  const auto deadline = std::chrono::steady_clock::now() + grace;
  std::chrono::microseconds delay = kFirstDelay;
  while (true) {
    Census listing = take_census();
    const auto now = std::chrono::steady_clock::now();
    if (new_threads(before, listing).empty() || now >= deadline) return listing;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(delay, deadline - now));
    delay = std::min(delay * 2, kMaxDelay);
  }
}

}  // namespace stray::gtest
