// The public entry point: pid in, classified snapshot out. The command line,
// `stray run`, `stray watch` and the GoogleTest integration all go through
// this one path.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "stray/error.hpp"
#include "stray/model.hpp"

namespace stray {

struct InspectOptions {
  std::size_t stack_cap = 1024 * 1024;    // bytes copied per thread stack
  // Frames reported per thread, inlined frames included (as gdb's
  // `backtrace N` counts them). A longer stack ends with UnwindEnd::frame_limit.
  std::size_t max_frames = 256;
  int stop_timeout_ms = 500;              // wait for one thread's stop
  // Also give file:line and inlined calls inside libc, libstdc++ and the
  // other runtime libraries; their names are shown either way.
  bool runtime_source = false;
  // When non-empty, freeze and report only these threads; the others run on.
  std::vector<int> tids;
  // For a caller that itself traces every thread of the process with
  // ptrace, from the thread that calls inspect() (`stray run
  // --catch-faults`): threads are interrupted instead of seized, and
  // continued instead of detached. `held_tids` are threads the caller keeps
  // in a ptrace stop it has already waited for; they are captured as they
  // are and left stopped.
  bool traced_by_caller = false;
  std::vector<int> held_tids;
  // Threads neither frozen nor reported (`stray run`: the thread that is
  // held in exit_group, which a ptrace stop would make call again).
  std::vector<int> excluded_tids;
};

// Keeps unwind tables and symbol data cached between snapshots, so the
// second snapshot of a process costs much less than the first. Not
// thread-safe: use one Inspector per thread.
class Inspector {
 public:
  Inspector();
  ~Inspector();
  Inspector(const Inspector&) = delete;
  Inspector& operator=(const Inspector&) = delete;

  // Freezes `pid`, captures, resumes, then unwinds, symbolizes and
  // classifies. Throws stray::Error when the process cannot be inspected at
  // all; a thread that could be inspected only in part carries Thread::error.
  Snapshot inspect(int pid, const InspectOptions& options = {});

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace stray
