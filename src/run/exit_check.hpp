// The leak check of a process that is held at exit_group.
#pragma once

#include "stray/check.hpp"
#include "stray/inspect.hpp"

namespace stray::run {

// check_process on `pid`, with the thread held in exit_group
// (`exiting_tid`) left unfrozen and out of the result, and every other
// thread found in exit_group counted as leaving, not as a survivor.
CheckResult check_exiting_process(Inspector& inspector, int pid, int exiting_tid,
                                  const CheckOptions& options);

}  // namespace stray::run
