// Decodes a waitpid status of a seized thread once, into the stop kinds of
// ptrace(2), so no raw status bits appear elsewhere.
#pragma once

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

// waitpid(tid, __WALL | WNOHANG), retrying EINTR.
WaitResult wait_nohang(int tid);

}  // namespace stray
