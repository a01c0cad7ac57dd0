#include "run/exit_check.hpp"

#include <sys/syscall.h>

#include <chrono>
#include <optional>
#include <vector>

#include "proc/proc.hpp"
#include "stray/error.hpp"

namespace stray::run {

namespace {

// A process whose only live thread is the one calling exit_group has no
// survivor to find (a main thread that called pthread_exit stays listed as
// a zombie). Returns its clean result without a freeze and without
// loading symbols, which a first snapshot pays (about 100 ms), so that most
// test binaries exit at full speed. Returns nothing when other threads exist.
std::optional<CheckResult> check_lone_thread(int pid, int exiting_tid, const CheckOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  std::vector<int> tids;
  try {
    tids = proc::read_tids(pid);
  } catch (const Error&) {
    return std::nullopt;  // the full check reports the error
  }
  for (int tid : tids) {
    if (tid == exiting_tid) continue;
    auto stat = proc::try_read_task_stat(pid, tid);
    if (!stat || (stat->state != 'Z' && stat->state != 'X')) return std::nullopt;
  }
  CheckResult result;
  result.snapshot.pid = pid;
  const int memory_tid = proc::find_memory_tid(pid);
  result.snapshot.exe = proc::read_exe(memory_tid);
  if (auto stat = proc::try_read_task_stat(pid, memory_tid)) result.snapshot.comm = std::move(stat->comm);
  result.snapshot.time = std::chrono::system_clock::now();
  // Judging the empty snapshot sizes the per-rule counts that the reports
  // index by rule.
  result.judgement = judge(result.snapshot, options.rules, options.baseline ? &*options.baseline : nullptr);
  result.duration = std::chrono::steady_clock::now() - started;
  result.snapshot.total_duration = result.duration;
  return result;
}

}  // namespace

CheckResult check_exiting_process(Inspector& inspector, int pid, int exiting_tid,
                                  const CheckOptions& options) {
  if (auto lone = check_lone_thread(pid, exiting_tid, options)) return *lone;

  // The exiting thread stays in the filter's wait, unfrozen, so that its
  // notification stays valid and its exit_group runs first when stray lets
  // it go. A thread that calls exit_group meanwhile waits in the filter too,
  // and is killed by the first one: it is leaving, not a survivor.
  CheckOptions leaving_aware = options;
  leaving_aware.inspect.excluded_tids.push_back(exiting_tid);
  leaving_aware.is_leaving = [](const Thread& thread) { return thread.syscall.number == SYS_exit_group; };
  return check_process(inspector, pid, leaving_aware);
}

}  // namespace stray::run
