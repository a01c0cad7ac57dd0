// Keeps the seccomp listener answered after the command itself has exited.
#pragma once

namespace stray::run {

// Forks a helper that owns `listener_fd` and lets every held call continue
// until no process uses the filter any more (POLLHUP, Linux 5.8), then
// exits. Processes the command left running (daemons, children it did not
// wait for) thus exit normally after stray is gone: with the listener
// closed, their exit_group would fail with ENOSYS and glibc's _exit would
// end only the calling thread. The helper's stdin, stdout and stderr are
// /dev/null, so it does not hold a pipe open. Closes `listener_fd` in the
// calling process.
void keep_answering_in_background(int listener_fd);

}  // namespace stray::run
