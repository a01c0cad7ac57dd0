// A child process allowed to ptrace its parent: started, named as this
// process's ptracer, waited on with a bound, and its output collected.
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace stray::gtest {

struct ChildResult {
  bool timed_out = false;   // killed with SIGKILL after the timeout
  int exit_code = -1;       // when it exited normally; -1 when the status was lost
  int signal = 0;           // when a signal ended it
  std::string out;
  std::string err;
};

// Forks, makes the child this process's ptracer with PR_SET_PTRACER (a
// no-op where Yama is absent), then lets it exec argv[0] (searched in PATH
// when it has no '/'). Waits at most `timeout` for it to exit, then kills
// it. Revokes the ptracer exception before returning. Throws
// stray::Error(system) when the child cannot be started.
//
// Between fork and exec the child makes only async-signal-safe calls, as a
// child of a multithreaded process must.
ChildResult run_tracer_child(const std::vector<std::string>& argv, std::chrono::milliseconds timeout);

}  // namespace stray::gtest
