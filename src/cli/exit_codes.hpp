// Exit codes of every stray command, documented in --help and README.md.
#pragma once

#include "stray/error.hpp"

namespace stray::cli {

enum ExitCode : int {
  kSuccess = 0,
  kSurvivorsFound = 1,   // stray check: unexpected survivors (default of --error-exitcode)
  kUsage = 2,            // invalid command line or rules file
  kPartial = 3,          // the report was printed, but some thread is incomplete
  kNoProcess = 4,        // no such process, or it exited during the operation
  kNotPermitted = 5,     // permission denied, or another tracer is attached
  kFailure = 6,          // any other error (a kernel thread, a failed system call or write)
  kTimedOut = 124,       // stray run --timeout: the command ran too long (as GNU timeout)
};

inline constexpr const char* kExitCodeHelp =
    "Exit codes:\n"
    "  0  success\n"
    "  2  invalid command line or input file\n"
    "  3  report printed, but some thread could be captured only in part\n"
    "  4  no such process, or it exited during the snapshot\n"
    "  5  permission denied, or the process is already traced\n"
    "  6  any other error (a kernel thread, a failed system call, a failed write of the\n"
    "     report)\n";

inline constexpr const char* kCheckExitCodeHelp =
    "Exit codes:\n"
    "  0  no unexpected survivor, or --gen-rules printed the rules\n"
    "  1  unexpected survivors found (--error-exitcode N chooses this code; not with --gen-rules)\n"
    "  2  invalid command line, rules file or baseline\n"
    "  3  no unexpected survivor (or --gen-rules), but some thread could be captured only in part\n"
    "  4  no such process, or it exited during the check\n"
    "  5  permission denied, or the process is already traced\n"
    "  6  any other error (a kernel thread, a failed system call, a failed write of the report,\n"
    "     which wins over 1 and 3)\n";

// Footer of `stray --help`, which covers every command.
inline constexpr const char* kAllExitCodeHelp =
    "Exit codes (each command's --help lists its own):\n"
    "  0  success (check, run: no unexpected survivor, or --gen-rules wrote the rules)\n"
    "  1  check, run: unexpected survivors found (--error-exitcode N chooses this code)\n"
    "  2  invalid command line or input file\n"
    "  3  report printed, but some thread could be captured only in part\n"
    "     (watch: every snapshot failed)\n"
    "  4  no such process, or it exited during the operation\n"
    "  5  permission denied, or the process is already traced (run: 6)\n"
    "  6  any other error (a kernel thread, a failed system call, a failed write of the\n"
    "     output)\n"
    "  run: the command's own exit code when it is not 0, 128+N when signal N killed it,\n"
    "       124 when it ran longer than --timeout, 126 when it could not be executed and\n"
    "       127 when it was not found\n"
    "  watch: N when a growth alert fired and --alert-exitcode N was given\n";

inline int exit_code_for(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::no_such_process:
    case ErrorKind::target_exited: return kNoProcess;
    case ErrorKind::permission_denied:
    case ErrorKind::already_traced: return kNotPermitted;
    case ErrorKind::invalid_input: return kUsage;
    case ErrorKind::kernel_thread:
    case ErrorKind::system: return kFailure;
  }
  return kFailure;
}

}  // namespace stray::cli
