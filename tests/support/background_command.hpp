// A command started in the background, for tests that signal or wait on a
// running stray. Its stdout and stderr go to files read after it ends.
// Header-only, so the test support library needs no new source file.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace stray::test {

class BackgroundCommand {
 public:
  // Starts argv[0] from PATH (or a path). Fails the current test and
  // leaves pid() at 0 when fork fails.
  explicit BackgroundCommand(const std::vector<std::string>& argv);
  // Kills the command with SIGKILL if it is still running.
  ~BackgroundCommand();
  BackgroundCommand(const BackgroundCommand&) = delete;
  BackgroundCommand& operator=(const BackgroundCommand&) = delete;

  int pid() const { return pid_; }
  // Waits up to `timeout` for the command to exit and returns its exit
  // code (128 + N for signal N), or -1 on timeout.
  int wait(std::chrono::milliseconds timeout);
  std::string out() const;
  std::string err() const;

 private:
  int pid_ = 0;
  std::string out_path_;
  std::string err_path_;
};



namespace background_detail {

inline std::string read_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
}

inline std::string output_path(const char* stream) {
  static std::atomic<int> next{0};
  return "/tmp/stray_background_" + std::to_string(getpid()) + "_" + std::to_string(next++) + "." + stream;
}

}  // namespace background_detail

inline BackgroundCommand::BackgroundCommand(const std::vector<std::string>& argv)
    : out_path_(background_detail::output_path("out")), err_path_(background_detail::output_path("err")) {
  pid_t child = ::fork();
  if (child == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    int out = ::open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = ::open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(err, STDERR_FILENO);
    std::vector<char*> args;
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  if (child < 0) {
    ADD_FAILURE() << "fork failed: " << std::strerror(errno);
    return;
  }
  pid_ = child;
}

inline BackgroundCommand::~BackgroundCommand() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  ::unlink(out_path_.c_str());
  ::unlink(err_path_.c_str());
}

inline int BackgroundCommand::wait(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (pid_ > 0) {
    int status = 0;
    pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      pid_ = 0;
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      return 128 + WTERMSIG(status);
    }
    if (std::chrono::steady_clock::now() > deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return -1;
}

inline std::string BackgroundCommand::out() const { return background_detail::read_file(out_path_); }
inline std::string BackgroundCommand::err() const { return background_detail::read_file(err_path_); }

}  // namespace stray::test
