// Test fixture support: starts one of tests/targets/ as a child process,
// waits for its handshake, and kills it on destruction, even when the test
// fails. A target writes "KEY VALUE" lines to stdout, then "ready" once every
// thread is parked; it must not exit on its own.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace stray::test {

class TargetProcess {
 public:
  // Starts STRAY_TARGETS_DIR/name (or an absolute path) with `args` and
  // waits up to `timeout` for "ready". Fails the current test (ADD_FAILURE)
  // and leaves pid() at 0 when the handshake does not come.
  explicit TargetProcess(const std::string& name, const std::vector<std::string>& args = {},
                         std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~TargetProcess();
  TargetProcess(const TargetProcess&) = delete;
  TargetProcess& operator=(const TargetProcess&) = delete;

  int pid() const { return pid_; }
  // Values printed before "ready", by key; a key printed twice keeps both.
  const std::multimap<std::string, std::string>& values() const { return values_; }
  std::string value(const std::string& key) const;  // first value, or ""
  // The read end of the target's stdout, for output after "ready".
  int stdout_fd() const { return stdout_fd_; }
  // Sends SIGKILL and reaps the child. Idempotent.
  void kill();

 private:
  int pid_ = 0;
  int stdout_fd_ = -1;
  std::multimap<std::string, std::string> values_;
};

// Path of a target program built from tests/targets/NAME.cpp.
std::string target_path(const std::string& name);

// Every thread of `pid` is neither stopped (T) nor traced (t), and
// TracerPid is 0. Returns a description of the first violation, or "".
std::string check_released(int pid);

// Runs a command line through /bin/sh, returning its exit status (as from
// waitpid) and its stdout and stderr.
struct CommandResult {
  int status = -1;
  std::string out;
  std::string err;
  int exit_code() const;
};
CommandResult run_command(const std::vector<std::string>& argv,
                          std::chrono::milliseconds timeout = std::chrono::seconds(60));

}  // namespace stray::test
