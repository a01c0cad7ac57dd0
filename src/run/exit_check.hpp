// The leak check of a process that is held at exit_group.
#pragma once

#include "stray/check.hpp"
#include "stray/inspect.hpp"

namespace stray::run {

// check_process on `pid`, then the thread held in exit_group (`exiting_tid`)
// is removed from the result when it was judged a survivor: it is the one
// leaving, whichever thread of the process it is.
CheckResult check_exiting_process(Inspector& inspector, int pid, int exiting_tid,
                                  const CheckOptions& options);

}  // namespace stray::run
