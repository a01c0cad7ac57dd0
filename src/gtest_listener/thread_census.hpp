// The threads of this process as /proc/self/task lists them, compared
// before and after a test. Reading /proc is the whole cost of a test that
// leaves no thread behind.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace stray::gtest {

struct CensusEntry {
  int tid = 0;
  // Field 22 of /proc/self/task/TID/stat, in clock ticks since boot: a tid
  // reused by a new thread has a later start time.
  std::uint64_t start_time = 0;
  std::string name;  // raw bytes of the thread name
};

using Census = std::vector<CensusEntry>;  // sorted by tid

// Lists the threads of this process. A thread that exits while it is being
// listed is left out.
Census take_census();

// Lists the threads like take_census, but takes the entry of a tid listed in
// `recent` from there instead of reading its stat file again. Only for a
// census taken moments ago: a tid reused since then would keep its old
// start time.
Census take_census_reusing(const Census& recent);

// The threads of `now` that are not in `before`: new tids, and tids of
// `before` that now belong to a thread with another start time.
Census new_threads(const Census& before, const Census& now);

// Re-lists the threads with growing delays until none of them is new
// against `before` or `grace` is over. Returns the last listing; the new
// threads are new_threads(before, listing).
Census wait_for_new_threads(const Census& before, std::chrono::microseconds grace);

}  // namespace stray::gtest
