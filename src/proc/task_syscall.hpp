// /proc/PID/task/TID/syscall: the call a thread is blocked in, read without
// stopping it. Reading the file needs the same permission as ptrace.
#pragma once

#include <optional>
#include <string_view>

namespace stray::proc {

struct TaskSyscall {
  bool running = false;  // the file says "running": no syscall to report
  long number = -1;      // -1 when blocked outside a syscall (a page fault, say)
};

// Parses "running", "-1 SP PC" or "NR ARG1..ARG6 SP PC". nullopt for
// anything else.
std::optional<TaskSyscall> parse_task_syscall(std::string_view text);

// nullopt when the thread has exited or the file cannot be read.
std::optional<TaskSyscall> try_read_task_syscall(int pid, int tid);

}  // namespace stray::proc
