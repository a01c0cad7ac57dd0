// One leak check of a live process: snapshot, judge, and while survivors
// remain, re-check only those threads with backoff until they are gone,
// excused, or the grace period is over.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <vector>

#include "stray/inspect.hpp"
#include "stray/rules.hpp"

namespace stray {

// Default grace period: long enough for a thread that was told to stop to
// leave its loop and exit, short enough to keep a check interactive.
inline constexpr std::chrono::milliseconds kDefaultGrace{500};

struct CheckOptions {
  std::vector<Rule> rules;  // in matching order; add builtin_rules() if wanted
  std::optional<Baseline> baseline;
  std::chrono::microseconds grace = kDefaultGrace;
  InspectOptions inspect;   // inspect.tids is ignored: every thread is checked
  // Waits between two re-checks of the grace period; a plain sleep when
  // empty. `stray run` keeps serving the threads it traces and the signals
  // it forwards meanwhile, because a traced thread cannot leave a ptrace
  // stop without it. Returns false to end the grace period at once, with
  // the verdict on the latest records.
  std::function<bool(std::chrono::milliseconds)> wait_between_rechecks;
  // Survivors for which this returns true are leaving with the process
  // (`stray run`: a thread held in exit_group). They are removed from the
  // result, so they neither fail the check nor extend the grace period.
  std::function<bool(const Thread&)> is_leaving;
  // When the whole process ends during the grace period (a signal killed
  // it, or another thread's exit_group went through), return the verdict
  // on the latest records, with CheckResult::ended_during_grace set,
  // instead of throwing. `stray run` sets it, because its survivors were
  // alive when the process began to exit.
  bool verdict_if_ended = false;
};

struct CheckResult {
  // The first snapshot with each re-checked thread replaced by its latest
  // record and each thread that exited during the grace period removed.
  Snapshot snapshot;
  Judgement judgement;  // of `snapshot`, against CheckOptions::rules
  std::size_t rechecks = 0;
  std::chrono::nanoseconds duration{0};  // wall time of the whole check
  // The process ended during the grace period, so the grace period was cut
  // short (only with CheckOptions::verdict_if_ended).
  bool ended_during_grace = false;
};

// Throws stray::Error as Inspector::inspect does when the first snapshot
// fails, and when the process ends during the grace period unless
// CheckOptions::verdict_if_ended is set. A re-check that fails for another
// reason is logged and ends the grace period early with the latest verdict.
CheckResult check_process(Inspector& inspector, int pid, const CheckOptions& options);

}  // namespace stray
