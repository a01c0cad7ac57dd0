// Threads that were seized but never reported their stop within the bound
// (a thread in uninterruptible sleep, a vfork parent). PTRACE_DETACH needs a
// stopped tracee, so such a thread stays stray's tracee. When it leaves the
// kernel, it enters the interrupt stop that stray requested and waits there.
// This list remembers them so that a later call detaches them as soon as
// they stop. Only the thread that seized a tracee may detach it, so the
// list is per calling thread. If stray exits first, the kernel detaches
// them and drops the pending interrupt.
#pragma once

#include <chrono>
#include <cstddef>

namespace stray::lingering {

void add(int pid, int tid);

// Detaches every listed thread that has stopped since, handing back any
// signal it stopped for, and drops those that exited. Returns how many
// are still waiting to stop.
std::size_t release();

// Like release(), but keeps trying for up to `timeout` while any remain.
std::size_t release_within(std::chrono::milliseconds timeout);

}  // namespace stray::lingering
