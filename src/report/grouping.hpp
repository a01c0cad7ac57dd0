// Groups the threads of a snapshot so that a report prints each distinct
// stack once, and so that rules and time series can count threads by what
// they are rather than by tid.
#pragma once

#include <compare>
#include <cstddef>
#include <string>
#include <vector>

#include "stray/model.hpp"

namespace stray {

// Identity of a group of threads, stable across snapshots of one program:
// the start routine (the native "created by"), the innermost frame outside
// the runtime, and the class. Strings are frame_label results, raw (not
// escaped), and empty when the thread has no such frame.
struct GroupKey {
  std::string start_routine;
  std::string top_frame;
  ThreadClass thread_class = ThreadClass::unknown;

  friend auto operator<=>(const GroupKey&, const GroupKey&) = default;
};

// Threads with the same key and the same stack.
struct ThreadGroup {
  GroupKey key;
  std::vector<std::size_t> thread_indices;  // into Snapshot::threads, in ascending tid order
  std::vector<int> tids;                    // ascending
  std::vector<std::string> names;           // raw thread names, parallel to tids

  std::size_t count() const { return tids.size(); }
};

// Names a frame for keys and short labels: the function when known, else
// "MODULE_BASENAME+0xOFFSET", else the pc as "0x...".
std::string frame_label(const Frame& frame);

GroupKey group_key(const Thread& thread);

// Groups threads whose key and stack are the same. Two stacks are the same
// when every frame has the same pc, kind and symbol fields (sp is ignored),
// and the unwind end, truncation, start routine and top frame indices,
// syscall number, interrupted flag and error match. Wait objects may differ
// within a group. Order: largest group first, then by key, then by stack;
// the result is the same for the same snapshot whatever its thread order.
std::vector<ThreadGroup> group_threads(const Snapshot& snapshot);

}  // namespace stray
