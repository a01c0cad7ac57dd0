#include "run/exit_check.hpp"

#include <sys/syscall.h>

#include <cstddef>
#include <optional>
#include <vector>

#include "proc/proc.hpp"
#include "stray/error.hpp"

namespace stray::run {

namespace {

// Drops the survivors that are leaving with the process: the held thread,
// and any other thread that called exit_group meanwhile (it waits in the
// filter too, and the process ends with whichever call runs first).
void drop_leaving_survivors(CheckResult& result, int exiting_tid) {
  auto& threads = result.snapshot.threads;
  auto& verdicts = result.judgement.verdicts;
  for (std::size_t i = threads.size(); i-- > 0;) {
    if (i >= verdicts.size() || verdicts[i].kind != VerdictKind::survivor) continue;
    if (threads[i].tid != exiting_tid && threads[i].syscall.number != SYS_exit_group) continue;
    threads.erase(threads.begin() + static_cast<std::ptrdiff_t>(i));
    verdicts.erase(verdicts.begin() + static_cast<std::ptrdiff_t>(i));
    if (result.judgement.survivors > 0) --result.judgement.survivors;
  }
}

// A process whose only thread is the one calling exit_group has no
// survivor to find. Returns its clean result without a freeze and without
// loading symbols, which a first snapshot pays (about 100 ms), so that most
// test binaries exit at full speed. Returns nothing when other threads exist.
std::optional<CheckResult> check_lone_thread(int pid, int exiting_tid, const CheckOptions& options) {
  std::vector<int> tids;
  try {
    tids = proc::read_tids(pid);
  } catch (const Error&) {
    return std::nullopt;  // the full check reports the error
  }
  if (tids.size() != 1 || tids[0] != exiting_tid) return std::nullopt;
  CheckResult result;
  result.snapshot.pid = pid;
  result.snapshot.exe = proc::read_exe(pid);
  result.snapshot.time = std::chrono::system_clock::now();
  // Judging the empty snapshot sizes the per-rule counts that the reports
  // index by rule.
  result.judgement = judge(result.snapshot, options.rules, options.baseline ? &*options.baseline : nullptr);
  return result;
}

}  // namespace

CheckResult check_exiting_process(Inspector& inspector, int pid, int exiting_tid,
                                  const CheckOptions& options) {
  if (auto lone = check_lone_thread(pid, exiting_tid, options)) return *lone;

  // NOTE: when exit() is called from a thread other than the main one and
  // no rule excuses its stack, check_process re-checks it until the grace
  // period ends, because it never leaves exit_group while held.
  CheckResult result = check_process(inspector, pid, options);
  drop_leaving_survivors(result, exiting_tid);
  return result;
}

}  // namespace stray::run
