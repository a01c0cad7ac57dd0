// Stacks of some threads of this process, captured by a stray child
// process: a process cannot ptrace the threads of its own thread group.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "stray/error.hpp"
#include "stray/model.hpp"

namespace stray::gtest {

// Runs `EXECUTABLE snapshot --json PID --tid T...` on this process, which
// freezes only `tids` while the calling thread waits for it, and reads the
// snapshot it prints. Before the child may attach, this process names it
// with prctl(PR_SET_PTRACER), which Yama's ptrace_scope=1 requires, and
// revokes that when the child has exited.
//
// Throws stray::Error whose message names the cause: permission_denied
// when the child could not attach (with the Yama setting), target_exited
// when a requested thread exited first (ask again with the threads left),
// system when the child could not be started, failed or timed out after
// `timeout` (it is then killed).
Snapshot capture_own_threads(const std::string& executable, const std::vector<int>& tids,
                             std::chrono::milliseconds timeout);

}  // namespace stray::gtest
