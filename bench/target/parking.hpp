// The blocking calls that benchmark threads park in, one per wait class
// that stray reports, and the call chain that leads to them.
#pragma once

#include <atomic>

namespace bench {

enum class ParkKind { condvar, mutex, read, poll, epoll, sleep };
inline constexpr int kParkKinds = 6;

// Creates the pipe, the epoll instance and the held mutex the threads park
// on. The calling thread locks the mutex and must never unlock it, so
// threads of kind `mutex` block in the futex for good. Returns false (with
// errno set) when a descriptor cannot be created.
bool set_up_parking();

struct ParkPlan {
  ParkKind kind;
  int library_depth;     // frames inside the shared library
  int executable_depth;  // frames of the executable's own chain after it
};

// Counts threads that reached their blocking call.
extern std::atomic<int> g_parked_threads;

// Runs the plan's call chain and parks at its end. Never returns.
[[noreturn]] void run_and_park(const ParkPlan& plan);

}  // namespace bench
