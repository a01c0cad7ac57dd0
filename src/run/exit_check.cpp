#include "run/exit_check.hpp"

#include <cstddef>

namespace stray::run {

namespace {

void drop_exiting_survivor(CheckResult& result, int exiting_tid) {
  auto& threads = result.snapshot.threads;
  auto& verdicts = result.judgement.verdicts;
  for (std::size_t i = 0; i < threads.size() && i < verdicts.size(); ++i) {
    if (threads[i].tid != exiting_tid || verdicts[i].kind != VerdictKind::survivor) continue;
    threads.erase(threads.begin() + static_cast<std::ptrdiff_t>(i));
    verdicts.erase(verdicts.begin() + static_cast<std::ptrdiff_t>(i));
    if (result.judgement.survivors > 0) --result.judgement.survivors;
    return;
  }
}

}  // namespace

CheckResult check_exiting_process(Inspector& inspector, int pid, int exiting_tid,
                                  const CheckOptions& options) {
  // NOTE: when exit() is called from a thread other than the main one and
  // no rule excuses its stack, check_process re-checks it until the grace
  // period ends, because it never leaves exit_group while held.
  CheckResult result = check_process(inspector, pid, options);
  drop_exiting_survivor(result, exiting_tid);
  return result;
}

}  // namespace stray::run
