// Stops every thread of a process with PTRACE_SEIZE + PTRACE_INTERRUPT and
// guarantees that each one is detached again. No PTRACE_ATTACH, no SIGSTOP.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "stray/model.hpp"

namespace stray {

class SeizeFailures;

struct FreezeOptions {
  // How long to wait while no thread reports a stop; each stop restarts
  // it. A thread in uninterruptible sleep (D) or a vfork parent may never
  // report it; it is then left seized but unstopped and reported as
  // StopKind::not_stopped.
  std::chrono::milliseconds stop_timeout{500};
  // When non-empty, only these threads are seized; the others run on. A
  // listed tid that is not a thread of the process is skipped.
  std::vector<int> only_tids;
  // The calling thread already traces every thread of the process (stray
  // run --catch-faults seizes the command before exec, with
  // PTRACE_O_TRACECLONE). Threads are then interrupted instead of seized
  // and continued instead of detached, and no thread is left lingering: the
  // caller's event loop continues any stop it reports later.
  bool traced_by_caller = false;
  // With traced_by_caller: threads that the caller keeps in a ptrace stop
  // it has already waited for (a thread in signal-delivery-stop). They are
  // captured as they are and stay stopped, because the caller decides what
  // to deliver.
  std::vector<int> held_tids;
  // Threads neither stopped nor reported. `stray run` keeps the thread that
  // called exit_group waiting in its seccomp filter, and a ptrace stop
  // would interrupt that wait: the kernel would drop the notification and
  // the thread would call again, behind any other thread's exit_group.
  std::vector<int> excluded_tids;
};

struct FrozenThread {
  int tid = 0;
  std::string name;
  // /proc state, read before the freeze window opens (or just before the
  // seize, for a thread created since), so a thread stopped before stray
  // came shows 'T' rather than the 't' of its ptrace stop.
  char state = '?';
  std::uint64_t start_time = 0;
  StopKind stop = StopKind::not_stopped;
  int pending_signal = 0;  // re-injected by PTRACE_DETACH
  // Set when PTRACE_SEIZE failed because another tracer traces the thread.
  // The thread runs on, unstopped and unread, and the snapshot marks it partial.
  std::string seize_error;
};

// Owner of a frozen process: every seized thread is detached by resume(),
// which the destructor calls, so no return or exception path leaves the
// target stopped. While a process is frozen, SIGINT, SIGTERM, SIGHUP,
// SIGQUIT, SIGTSTP, SIGTTIN and SIGTTOU are blocked in the calling thread
// and become pending. resume() restores the signal mask, so a Ctrl-C or a
// Ctrl-Z takes effect only after every thread is detached. (If stray is killed outright, the kernel detaches seized
// tracees itself.)
class FrozenProcess {
 public:
  // Seizes and interrupts every thread of `pid`, re-listing /proc/PID/task
  // until no new tid appears. Throws stray::Error when the process cannot be
  // frozen at all (no such process, permission denied, already traced,
  // kernel thread). Threads that exit during the freeze are dropped.
  static FrozenProcess freeze(int pid, const FreezeOptions& options = {});

  FrozenProcess(FrozenProcess&& other) noexcept;
  FrozenProcess& operator=(FrozenProcess&&) = delete;
  FrozenProcess(const FrozenProcess&) = delete;
  FrozenProcess& operator=(const FrozenProcess&) = delete;
  ~FrozenProcess();

  int pid() const { return pid_; }
  const std::vector<FrozenThread>& threads() const { return threads_; }
  std::chrono::steady_clock::time_point started() const { return started_; }

  // Detaches every seized thread, re-injecting pending signals (with
  // traced_by_caller: continues it, or PTRACE_LISTENs in a group stop, and
  // leaves held threads stopped). Idempotent.
  // Returns the moment the last thread was released.
  std::chrono::steady_clock::time_point resume();

 private:
  explicit FrozenProcess(int pid);
  void seize_all(std::map<int, FrozenThread> described, const std::vector<int>& excluded_tids);
  void seize_listed(const std::vector<int>& tids);
  bool seize_and_interrupt(FrozenThread& thread, SeizeFailures& failures);
  bool any_seized() const;
  bool interrupt_traced(FrozenThread& thread);
  bool stop(FrozenThread& thread, SeizeFailures& failures);
  void wait_for_stops(std::chrono::milliseconds timeout);
  void detach(FrozenThread& thread);
  void let_go(FrozenThread& thread);

  int pid_;
  bool traced_by_caller_ = false;
  bool listed_only_ = false;  // FreezeOptions::only_tids was given
  std::vector<int> held_tids_;
  std::vector<FrozenThread> threads_;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point released_;
  bool resumed_ = false;
  bool signals_blocked_ = false;
  std::uint64_t saved_mask_[16] = {};  // a sigset_t, without pulling <signal.h> into every user
};

}  // namespace stray
