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
};

struct CheckResult {
  // The first snapshot with each re-checked thread replaced by its latest
  // record and each thread that exited during the grace period removed.
  Snapshot snapshot;
  Judgement judgement;  // of `snapshot`, against CheckOptions::rules
  std::size_t rechecks = 0;
  std::chrono::nanoseconds duration{0};  // wall time of the whole check
};

// Throws stray::Error as Inspector::inspect does when the first snapshot
// fails, and when the process exits during the grace period. A re-check
// that fails for another reason is logged and ends the grace period early
// with the latest verdict.
CheckResult check_process(Inspector& inspector, int pid, const CheckOptions& options);

}  // namespace stray
