// The signals stray itself receives during `stray run`: which ones it
// blocks, reads from a signalfd and relays to the command.
#pragma once

#include <signal.h>
#include <sys/signalfd.h>

namespace stray::run {

// Blocks SIGCHLD, SIGPIPE and every signal that stray relays for the life
// of the session, and reads them from a signalfd. Restores the mask on
// destruction. Blocking them keeps stray alive when a signal aimed at the
// whole process group, such as kill(0, SIGUSR1) from the command, also
// reaches stray: its death would end the command through
// PR_SET_PDEATHSIG.
class SessionSignals {
 public:
  // SIGTSTP is read from the signalfd too instead of stopping stray at
  // once: stray stops only after the command did.
  SessionSignals();
  ~SessionSignals();
  SessionSignals(const SessionSignals&) = delete;
  SessionSignals& operator=(const SessionSignals&) = delete;

  int fd() const { return fd_; }
  const sigset_t& original_mask() const { return original_; }

 private:
  sigset_t original_{};
  int fd_ = -1;
};

// True when stray should send `info` on to the command (pid
// `command_pid`). SIGCHLD and SIGPIPE are stray's own and are never sent.
// Neither is a signal from the kernel (SI_KERNEL, as the terminal sends
// Ctrl-C), because the command got it too as a member of the process
// group, unless the command left that group: then a signal the terminal
// sends is relayed. A signal from the command or one of its descendants is most
// likely aimed at that group as well, so it is not sent either.
bool should_relay(const signalfd_siginfo& info, int command_pid);

// SIGINT, SIGTERM and SIGHUP: what a terminal, a user or a job runner such
// as ctest's timeout sends to end a command.
bool is_termination_signal(int signal);

// Sends the signal of `info` to `command_pid`, with its sigqueue value when
// it carried one.
void relay(const signalfd_siginfo& info, int command_pid);

}  // namespace stray::run
