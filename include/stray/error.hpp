// The one exception type stray throws for a failure that ends an operation.
// Each carries a kind, so the command line can map it to a documented exit
// code, and a message that already names the pid or tid and the cause.
#pragma once

#include <stdexcept>
#include <string>

namespace stray {

enum class ErrorKind {
  no_such_process,    // the pid does not exist (or exited before the attach)
  permission_denied,  // no CAP_SYS_PTRACE, Yama, or different credentials
  already_traced,     // another tracer is attached (TracerPid != 0)
  target_exited,      // the process exited during the operation
  kernel_thread,      // a kernel thread has no user space to inspect
  invalid_input,      // a malformed file or argument
  system,             // any other failed call
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const { return kind_; }

 private:
  ErrorKind kind_;
};

}  // namespace stray
