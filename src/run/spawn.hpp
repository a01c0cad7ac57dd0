// Starts the test command with the exit filter installed, as a child of
// stray, and hands stray the filter's listener fd.
#pragma once

#include <signal.h>

#include <functional>
#include <string>
#include <vector>

#include "stray/error.hpp"

namespace stray::run {

// The command could not be started; `error_number` is the errno of the
// failed step (exec, or installing the filter).
class ExecFailed : public Error {
 public:
  ExecFailed(const std::string& message, int error_number)
      : Error(ErrorKind::system, message), error_number_(error_number) {}
  int error_number() const { return error_number_; }

 private:
  int error_number_;
};

struct SpawnedCommand {
  int pid = 0;
  int listener_fd = -1;
};

// Runs in stray once the child has passed its listener and waits before
// exec. Returns an empty string to let the child exec, or why it must not
// (the child then ends without running the command).
using BeforeExec = std::function<std::string(int child_pid)>;

// Forks, installs the exit filter in the child, passes its listener fd back
// over a socket pair (SCM_RIGHTS), sets PR_SET_PDEATHSIG(SIGKILL), runs
// `before_exec` in stray, restores `child_mask` and execs argv[0] through
// PATH. The child keeps stray's
// stdin, stdout, stderr, environment, working directory and process group.
// Throws ExecFailed when the filter cannot be installed or the exec fails;
// the message names the command and the errno, and the child is reaped.
SpawnedCommand spawn_with_exit_filter(const std::vector<std::string>& argv, const sigset_t& child_mask,
                                      const BeforeExec& before_exec = {});

// The exit code a shell gives for a command that could not be executed:
// 127 when it was not found, 126 otherwise.
int exec_failure_exit_code(int error);

}  // namespace stray::run
