// The few /proc/TID/status fields the launcher needs to decide what a held
// thread is doing.
#pragma once

#include <optional>

namespace stray::run {

// The thread group (process) of `tid`, from the "Tgid:" line; std::nullopt
// when the thread is gone.
std::optional<int> thread_group_of(int tid);

// True when `tid` is a live thread of process `pid`. Uses tgkill with
// signal 0, which sends nothing and fails with ESRCH when `tid` is not in
// that thread group: one system call, with no /proc path to resolve.
bool is_thread_of(int pid, int tid);

// True when thread `tid` of process `pid` blocks `signal` (SigBlk in
// /proc/PID/task/TID/status). False when the status is unreadable.
bool is_blocked_by(int pid, int tid, int signal);

// True when every thread of `pid` blocks `signal`, so a signal sent to the
// process stays pending. False when no status is readable.
bool is_blocked_by_every_thread(int pid, int signal);

// True when `signal` has its default action in process `pid`: neither
// caught (SigCgt) nor ignored (SigIgn). False when the status is unreadable.
bool has_default_action(int pid, int signal);

}  // namespace stray::run
