// `stray run --catch-faults`: stray traces every thread of the command
// with ptrace from exec to exit. A signal the CPU raises (SIGSEGV, SIGBUS,
// SIGFPE, SIGILL) involves no system call that the exit filter could hold,
// but it still stops the traced thread before it is delivered.
//
// Only the command's own threads are traced (PTRACE_O_TRACECLONE); the
// processes it forks are not. Every stop is handed back as the kernel made
// it: signals are delivered unchanged, job-control stops stay stopped.
#pragma once

#include <cstdint>
#include <string>

namespace stray::run {

// Seizes the command's only thread while it waits before exec, with
// PTRACE_O_TRACECLONE. Returns an empty string on
// success, or why the seize failed.
std::string seize_before_exec(int pid);

// One waitpid report of a traced thread that is in a ptrace stop.
struct TracedStop {
  enum class Kind {
    signal_delivery,  // `signal` is about to be delivered to the thread
    group_stop,       // a job-control stop (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU)
    other,            // an interrupt, a new thread's first stop, a clone event
  };
  Kind kind = Kind::other;
  int signal = 0;
};

// Stops tracing a task that is not part of the command, handing back the
// signal of a signal-delivery-stop.
void detach_traced(int tid, const TracedStop& stop);

// Decodes a WIFSTOPPED status of a traced thread.
TracedStop decode_traced_stop(int status);

// Lets the thread go on as if it were not traced: delivers the signal of a
// signal-delivery-stop, keeps a group stop with PTRACE_LISTEN, continues
// any other stop. ESRCH (the thread was killed meanwhile) is not an error.
void continue_traced(int tid, const TracedStop& stop);

// The source of the signal in a signal-delivery-stop (PTRACE_GETSIGINFO).
struct SignalOrigin {
  bool raised_by_kernel = false;   // si_code > 0: a fault, or SI_KERNEL (int3)
  bool has_fault_address = false;  // a fault, not SI_KERNEL
  std::uint64_t fault_address = 0; // si_addr, when has_fault_address
  int sender_pid = 0;               // kill, tkill, tgkill, sigqueue: si_pid
};

// False when the thread is gone.
bool read_signal_origin(int tid, SignalOrigin& origin);

}  // namespace stray::run
