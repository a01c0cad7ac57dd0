// Decodes a waitpid status of a seized thread once, into the stop kinds of
// ptrace(2), so no raw status bits appear elsewhere.
#pragma once

#include <optional>

#include "stray/model.hpp"

namespace stray {

enum class WaitKind {
  none,     // nothing to report yet (WNOHANG)
  stopped,  // a ptrace stop; see WaitResult::stop
  exited,   // the thread is gone (exited, killed, or no longer our tracee)
};

struct WaitResult {
  WaitKind kind = WaitKind::none;
  StopKind stop = StopKind::not_stopped;
  int signal = 0;  // for StopKind::signal_delivery: the signal to re-inject
};

WaitResult decode_wait_status(int status);

// waitpid(tid, __WALL | WNOHANG), retrying EINTR. An exit status it
// collects is kept for take_collected_exit().
WaitResult wait_nohang(int tid);

// The wait status of `tid`'s exit if wait_nohang collected it, once. A
// tracer that is also the real parent (stray run and its command) gets
// the process's exit status from that same waitpid, so without this the
// parent's own waitpid would find nothing (ECHILD) and miss the status.
std::optional<int> take_collected_exit(int tid);

}  // namespace stray
