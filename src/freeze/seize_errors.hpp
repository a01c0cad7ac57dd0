// Turns the reasons a process cannot be frozen into one clear stray::Error
// that names the pid and the cause.
#pragma once

#include <map>
#include <optional>
#include <string>

namespace stray {

// Throws stray::Error when `pid` cannot be frozen at all: it does not
// exist, it is a kernel thread, it is stray itself, or another tracer is
// attached (the message names the tracer's pid and name).
void check_freezable(int pid);

// The most likely reason this process may not be traced by stray, as a
// phrase for an error message (no CAP_SYS_PTRACE, another user, Yama).
std::string explain_permission(int pid);

// True when a thread of this process is the tracer of thread `tid`.
bool is_seized_by_this_process(int tid);

// "already traced by pid N (NAME)" when thread `tid` has a tracer other
// than stray itself (strace -p TID, gdb, another stray), else nothing.
std::optional<std::string> describe_other_tracer(int tid);

// The errno of every failed PTRACE_SEIZE during one freeze.
class SeizeFailures {
 public:
  void record(int tid, int error) { errors_[tid] = error; }
  bool empty() const { return errors_.empty(); }
  // Throws the error that best explains why no thread could be seized:
  // the process exited, another tracer, or a permission problem with its
  // likely cause (no CAP_SYS_PTRACE, another user, Yama's ptrace_scope).
  [[noreturn]] void throw_error(int pid) const;

 private:
  std::map<int, int> errors_;
};

}  // namespace stray
