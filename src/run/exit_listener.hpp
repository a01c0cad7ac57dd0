// The stray side of the seccomp filter: receives the notification of a
// thread held at exit_group or at a fatal self-signal, and lets it go on.
#pragma once

#include <cstdint>
#include <vector>

namespace stray::run {

// One held system call, as the kernel reported it.
struct HeldCall {
  std::uint64_t id = 0;  // cookie for the response; stale once the thread leaves the call
  int tid = 0;           // in stray's pid namespace
  int syscall = -1;
  std::uint64_t args[6] = {};
};

// Owns the listener fd of one filter; every process the filter applies to
// (the test and whatever it forks) reports through it.
class ExitListener {
 public:
  // Asks the kernel to wake stray on the notifying thread's CPU
  // (SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP, Linux 6.6); older kernels wake it
  // wherever it last ran.
  explicit ExitListener(int fd);
  ~ExitListener();
  ExitListener(const ExitListener&) = delete;
  ExitListener& operator=(const ExitListener&) = delete;

  int fd() const { return fd_; }

  // Receives one notification. Returns false when none could be taken: the
  // thread left the call before it was read (ENOENT) or the wait was
  // interrupted (EINTR). Throws stray::Error on any other failure.
  bool receive(HeldCall& call);

  // Responds with SECCOMP_USER_NOTIF_FLAG_CONTINUE (Linux 5.5), so the kernel runs
  // the call as if no filter were there. Returns false when the thread had
  // already left the call (killed, or interrupted by a ptrace stop and
  // restarted, which sends a new notification).
  bool let_continue(std::uint64_t id);

  // Gives up ownership and returns the fd.
  int release();

 private:
  int fd_;
  std::vector<std::uint8_t> buffer_;  // as large as the kernel's struct seccomp_notif
};

}  // namespace stray::run
