// The two ways a watch counts threads: from a full snapshot, or from /proc
// alone.
#pragma once

#include "stray/model.hpp"
#include "watch/series.hpp"

namespace stray::watch {

// Counts the snapshot's threads by group key (start routine, top frame,
// class), largest group first.
SeriesSample sample_from_snapshot(const Snapshot& snapshot);

// Counts the threads of `pid` by name and class from /proc/PID/task/*/stat,
// comm and syscall, without stopping the target. Threads that exit while
// being read are left out. Throws stray::Error(no_such_process) when the
// process is gone. `duration` is the time the reading took.
SeriesSample take_light_sample(int pid);

// Sorts groups largest first, then by label, so that equal inputs give
// equal output.
void sort_groups(std::vector<SeriesGroup>& groups);

}  // namespace stray::watch
