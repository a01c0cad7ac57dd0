#include "run/spawn.hpp"

#include <errno.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "run/exit_filter.hpp"
#include "stray/error.hpp"

namespace stray::run {

namespace {

// What the child reports through the status pipe when it cannot exec.
struct ChildFailure {
  int stage = 0;  // a Stage
  int error = 0;  // errno
};

enum Stage { kFilter = 1, kSendListener = 2, kWaitForGo = 3, kExec = 4 };

const char* describe(int stage) {
  switch (stage) {
    case kFilter: return "installing the seccomp filter";
    case kSendListener: return "passing the seccomp listener to stray";
    case kWaitForGo: return "waiting for stray before exec";
    default: return "exec";
  }
}

// One byte from stray on the socket pair lets the child exec. stray sends
// it once it has the listener and, with --catch-faults, traces the child.
bool wait_for_go(int socket) {
  char byte = 0;
  ssize_t got;
  do {
    got = ::read(socket, &byte, 1);
  } while (got < 0 && errno == EINTR);
  return got == 1;
}

bool send_go(int socket) {
  char byte = 'g';
  return ::send(socket, &byte, 1, MSG_NOSIGNAL) == 1;
}

// Ends the child without exit_group, which the filter would hold: SYS_exit
// of the only thread ends the process with the same status.
[[noreturn]] void exit_child(int fd, Stage stage) {
  ChildFailure failure{stage, errno};
  [[maybe_unused]] ssize_t written = ::write(fd, &failure, sizeof failure);
  for (;;) ::syscall(SYS_exit, 127);
}

bool send_fd(int socket, int fd) {
  char byte = 0;
  iovec data{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr message{};
  message.msg_iov = &data;
  message.msg_iovlen = 1;
  message.msg_control = control;
  message.msg_controllen = sizeof control;
  cmsghdr* header = CMSG_FIRSTHDR(&message);
  header->cmsg_level = SOL_SOCKET;
  header->cmsg_type = SCM_RIGHTS;
  header->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(header), &fd, sizeof fd);
  return ::sendmsg(socket, &message, MSG_NOSIGNAL) == 1;
}

// Returns the received fd, or -1 when the child closed the socket first.
int receive_fd(int socket) {
  char byte = 0;
  iovec data{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr message{};
  message.msg_iov = &data;
  message.msg_iovlen = 1;
  message.msg_control = control;
  message.msg_controllen = sizeof control;
  ssize_t received;
  do {
    received = ::recvmsg(socket, &message, MSG_CMSG_CLOEXEC);
  } while (received < 0 && errno == EINTR);
  cmsghdr* header = received == 1 ? CMSG_FIRSTHDR(&message) : nullptr;
  if (header == nullptr || header->cmsg_type != SCM_RIGHTS) return -1;
  int fd;
  std::memcpy(&fd, CMSG_DATA(header), sizeof fd);
  return fd;
}

[[noreturn]] void run_child(char* const* argv, const sigset_t& mask, pid_t parent, int socket, int status) {
  // The child must not outlive stray: with the listener closed, exit_group
  // fails with ENOSYS and glibc's _exit falls back to ending one thread.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::raise(SIGKILL);

  int listener = install_exit_filter();
  if (listener < 0) {
    errno = -listener;
    exit_child(status, kFilter);
  }
  if (!send_fd(socket, listener)) exit_child(status, kSendListener);
  ::close(listener);
  if (!wait_for_go(socket)) exit_child(status, kWaitForGo);
  ::close(socket);

  ::sigprocmask(SIG_SETMASK, &mask, nullptr);
  ::execvp(argv[0], argv);
  exit_child(status, kExec);
}

void reap(pid_t pid) {
  while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
  }
}

}  // namespace

int exec_failure_exit_code(int error) { return error == ENOENT ? 127 : 126; }

SpawnedCommand spawn_with_exit_filter(const std::vector<std::string>& argv, const sigset_t& child_mask,
                                      const BeforeExec& before_exec) {
  std::vector<char*> pointers;
  for (const std::string& arg : argv) pointers.push_back(const_cast<char*>(arg.c_str()));
  pointers.push_back(nullptr);

  int sockets[2];
  int status_pipe[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sockets) != 0 ||
      ::pipe2(status_pipe, O_CLOEXEC) != 0) {
    throw Error(ErrorKind::system, std::string("socketpair or pipe2 failed: ") + std::strerror(errno));
  }
  pid_t parent = ::getpid();
  pid_t child = ::fork();
  if (child < 0) throw ExecFailed(std::string("fork failed: ") + std::strerror(errno), errno);
  if (child == 0) {
    ::close(sockets[0]);
    ::close(status_pipe[0]);
    run_child(pointers.data(), child_mask, parent, sockets[1], status_pipe[1]);
  }
  ::close(sockets[1]);
  ::close(status_pipe[1]);

  int listener = receive_fd(sockets[0]);
  std::string rejection;
  if (listener >= 0 && before_exec) rejection = before_exec(child);
  // Without the byte, the child ends itself with the kWaitForGo status.
  if (listener >= 0 && rejection.empty()) send_go(sockets[0]);
  ::close(sockets[0]);
  ChildFailure failure;
  ssize_t got;
  do {
    got = ::read(status_pipe[0], &failure, sizeof failure);
  } while (got < 0 && errno == EINTR);
  ::close(status_pipe[0]);
  if (got == static_cast<ssize_t>(sizeof failure)) {
    if (listener >= 0) ::close(listener);
    reap(child);
    if (!rejection.empty()) throw ExecFailed("cannot run " + argv[0] + ": " + rejection, EPERM);
    std::string hint;
    // The kernel allows one listener in a chain of seccomp filters.
    if (failure.stage == kFilter && failure.error == EBUSY) {
      hint = " (a seccomp filter with a listener is already installed, as under another stray run; "
             "stray run cannot be nested)";
    }
    throw ExecFailed("cannot run " + argv[0] + ": " + describe(failure.stage) + " failed: " +
                         std::strerror(failure.error) + hint,
                     failure.error);
  }
  if (listener < 0) {
    // Unreachable unless the child died between the two steps.
    ::kill(child, SIGKILL);
    reap(child);
    throw ExecFailed("cannot run " + argv[0] + ": the child ended before passing the seccomp listener", EIO);
  }
  return SpawnedCommand{child, listener};
}

}  // namespace stray::run
