// Read-only views of /proc/PID. Nothing here stops or changes the target.
// Functions named read_* throw stray::Error when the process is gone or
// unreadable; functions named try_read_* return std::nullopt instead, for
// per-thread files whose thread may exit at any moment (an expected race).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "stray/model.hpp"

namespace stray::proc {

// Tids listed in /proc/PID/task, sorted ascending.
std::vector<int> read_tids(int pid);

struct TaskStat {
  // Field 2, the thread name. Unlike the comm file, stat does not escape
  // '\n' and '\\' in it (Linux 6.x, proc_task_name), so it is raw bytes.
  std::string comm;
  char state = '?';
  std::uint64_t start_time = 0;  // field 22, clock ticks since boot
  int ppid = 0;
  unsigned flags = 0;            // field 9; PF_KTHREAD is 0x00200000
};
std::optional<TaskStat> try_read_task_stat(int pid, int tid);
// Parses the text of a stat file. The comm field may contain spaces and
// parentheses, so the fields after it are found from the last ')'.
std::optional<TaskStat> parse_stat(std::string_view text);

std::optional<std::string> try_read_task_comm(int pid, int tid);

struct ProcessStatus {
  std::string name;
  int tgid = 0;  // the process a thread id belongs to
  int tracer_pid = 0;
  unsigned uid = 0;  // real uid
};
ProcessStatus read_status(int pid);

std::vector<Mapping> read_maps(int pid);
std::vector<Mapping> parse_maps(std::string_view text);

// readlink of /proc/PID/exe; empty for kernel threads and on failure.
std::string read_exe(int pid);

// readlink of /proc/PID/fd/FD; std::nullopt when the fd is closed.
std::optional<std::string> try_read_fd_link(int pid, int fd);

// The whole of a small /proc file; std::nullopt when it cannot be opened.
std::optional<std::string> try_read_file(const std::string& path);

// The thread whose /proc/TID directory and process_vm_readv reach the
// process's memory, files and namespaces: pid itself, unless the main
// thread called pthread_exit while others run. Its task is then a zombie
// without an address space, so /proc/PID/maps reads empty and
// process_vm_readv(PID) fails, and the first live thread is returned.
// Returns pid when no live thread is found.
int find_memory_tid(int pid);

// True when every thread of `pid` has exited and the process is a zombie
// (Z) or dying (X), waiting for its parent to reap it, or is gone. /proc/PID
// still exists for a zombie, but PTRACE_SEIZE fails with EPERM. A main
// thread that called pthread_exit is a zombie too, so the other threads
// decide.
bool only_zombies_left(int pid);

// True when process `pid` has ended or is being torn down: each of its
// threads is gone, a zombie (Z), dying (X), exiting (PF_EXITING in the
// stat flags), or has SIGKILL pending (SigPnd). A fatal signal or an
// exit_group marks every thread with SIGKILL at once (Linux
// complete_signal, zap_other_threads), and a thread sets PF_EXITING once it
// takes it, so this turns true as soon as the teardown begins.
bool is_ending(int pid);

// The same test for one thread `tid` of `pid`: gone, Z, X, PF_EXITING or
// SIGKILL pending.
bool is_task_ending(int pid, int tid);

// The value after "KEY:" on its line of a /proc status file, without the
// blanks before it; empty when the key is absent.
std::string_view status_field(std::string_view status, std::string_view key);

// True when the process exists (a directory /proc/PID is present).
bool process_exists(int pid);

}  // namespace stray::proc
