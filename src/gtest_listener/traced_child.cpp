#include "gtest_listener/traced_child.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include <spdlog/spdlog.h>

#include "stray/error.hpp"

namespace stray::gtest {

namespace {

Error system_error(const std::string& call) {
  return Error(ErrorKind::system, call + " failed: " + std::strerror(errno));
}

// Closes its descriptors on every path out of run_tracer_child.
struct Descriptors {
  int out = -1;
  int err = -1;
  int go_read = -1;
  int go_write = -1;
  ~Descriptors() {
    for (int fd : {out, err, go_read, go_write}) {
      if (fd >= 0) ::close(fd);
    }
  }
};

// memfds, because the child's output is read only after it exits and a
// pipe could fill up and block it.
Descriptors open_descriptors() {
  Descriptors fds;
  fds.out = ::memfd_create("stray-helper-out", MFD_CLOEXEC);
  if (fds.out < 0) throw system_error("memfd_create");
  fds.err = ::memfd_create("stray-helper-err", MFD_CLOEXEC);
  if (fds.err < 0) throw system_error("memfd_create");
  int go[2];
  if (::pipe2(go, O_CLOEXEC) != 0) throw system_error("pipe2");
  fds.go_read = go[0];
  fds.go_write = go[1];
  return fds;
}

// The child waits until the parent has named it as ptracer, so it cannot
// attach before Yama allows it. A read that returns 0 (the parent closed
// the pipe without writing) also lets it go on: the attach then fails with
// a clear error instead of the child hanging.
[[noreturn]] void exec_when_allowed(const Descriptors& fds, char* const argv[]) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  char go = 0;
  while (::read(fds.go_read, &go, 1) < 0 && errno == EINTR) {
  }
  ::dup2(fds.out, STDOUT_FILENO);
  ::dup2(fds.err, STDERR_FILENO);
  ::execvp(argv[0], argv);
  ::_exit(127);
}

// PR_SET_PTRACER fails with EINVAL when the kernel has no Yama; then
// nothing needs allowing.
void set_ptracer(unsigned long pid) {
  if (::prctl(PR_SET_PTRACER, pid, 0, 0, 0) != 0 && errno != EINVAL) {
    spdlog::warn("pid {}: prctl(PR_SET_PTRACER, {}) failed: {}", ::getpid(), pid, std::strerror(errno));
  }
}

void wait_bounded(pid_t child, std::chrono::milliseconds timeout, ChildResult& result) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::chrono::microseconds delay{200};
  int status = 0;
  while (true) {
    pid_t waited = ::waitpid(child, &status, WNOHANG);
    if (waited == child) break;
    // ECHILD: the test set SIGCHLD to SIG_IGN, so the kernel reaped the
    // child and its exit status is lost.
    if (waited < 0 && errno == ECHILD) return;
    if (waited < 0 && errno != EINTR) throw system_error("waitpid on pid " + std::to_string(child));
    if (std::chrono::steady_clock::now() >= deadline) {
      result.timed_out = true;
      ::kill(child, SIGKILL);
      while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
      }
      return;
    }
    std::this_thread::sleep_for(delay);
    delay = std::min(delay * 2, std::chrono::microseconds{20'000});
  }
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
}

std::string read_all(int fd) {
  std::string text;
  char buffer[8192];
  ::lseek(fd, 0, SEEK_SET);
  while (true) {
    ssize_t count = ::read(fd, buffer, sizeof buffer);
    if (count < 0 && errno == EINTR) continue;
    if (count <= 0) return text;
    text.append(buffer, static_cast<std::size_t>(count));
  }
}

}  // namespace

ChildResult run_tracer_child(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  std::vector<char*> pointers;
  for (const std::string& argument : argv) pointers.push_back(const_cast<char*>(argument.c_str()));
  pointers.push_back(nullptr);
  Descriptors fds = open_descriptors();

  const pid_t child = ::fork();
  if (child < 0) throw system_error("fork");
  if (child == 0) exec_when_allowed(fds, pointers.data());

  ::close(fds.go_read);
  fds.go_read = -1;
  set_ptracer(static_cast<unsigned long>(child));
  if (::write(fds.go_write, "g", 1) != 1) spdlog::warn("pid {}: write to helper pid {} failed", ::getpid(), child);
  ::close(fds.go_write);
  fds.go_write = -1;

  ChildResult result;
  wait_bounded(child, timeout, result);
  set_ptracer(0);
  result.out = read_all(fds.out);
  result.err = read_all(fds.err);
  return result;
}

}  // namespace stray::gtest
