// The floor of the seccomp design of `stray run`. This program runs COMMAND
// under the same kind of filter that stray installs: exit_group returns
// SECCOMP_RET_USER_NOTIF, and every process the command forks inherits the
// filter. Its supervisor does nothing but reply CONTINUE to each
// notification. What this costs on top of the command alone, no supervisor
// of that filter can avoid: the wakeup of the supervisor and of the exiting
// process, once per process exit.
//
// Usage: notify_floor COMMAND [ARGS...]
// Exits with the command's status (128 + N when signal N killed it) and
// prints the number of notifications to stderr.
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <new>

namespace {

#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

// Shared between the supervisor and the command before its exec.
struct Handshake {
  std::atomic<int> stage{0};  // 1: filter installed, 2: the supervisor has the listener
  int listener = -1;          // the fd number in the command's process
};

int install_filter() {
  sock_filter program[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_exit_group, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog filter{static_cast<unsigned short>(sizeof program / sizeof program[0]), program};
  if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -1;
  return static_cast<int>(::syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                                    SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_SPEC_ALLOW,
                                    &filter));
}

// Replies CONTINUE to one notification. Returns false when the listener
// failed for another reason than a notification that went away.
bool answer_one(int listener, long& answered) {
  seccomp_notif request;
  std::memset(&request, 0, sizeof request);  // RECV rejects a non-zeroed buffer
  if (::ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &request) != 0) return errno == ENOENT || errno == EINTR;
  seccomp_notif_resp response;
  std::memset(&response, 0, sizeof response);
  response.id = request.id;
  response.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
  if (::ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &response) == 0) ++answered;
  return true;
}

// Serves the listener the way stray does (poll, then RECV and SEND), with
// the command's pidfd in the same poll. Returns the command's wait status
// once the command is reaped and no process uses the filter any more.
int supervise(int listener, int pidfd, pid_t command, long& answered) {
  int wait_status = 0;
  bool reaped = false;
  while (true) {
    pollfd fds[2] = {{listener, POLLIN, 0}, {pidfd, POLLIN, 0}};
    nfds_t count = reaped ? 1 : 2;
    if (::poll(fds, count, -1) < 0) {
      if (errno == EINTR) continue;
      std::perror("notify_floor: poll");
      break;
    }
    if ((fds[0].revents & POLLIN) && !answer_one(listener, answered)) {
      std::perror("notify_floor: seccomp listener");
      break;
    }
    if (!reaped && (fds[1].revents & POLLIN)) {
      ::waitpid(command, &wait_status, 0);
      reaped = true;
    }
    // Linux 5.8 and later report POLLHUP once no process uses the filter.
    if (reaped && (fds[0].revents & POLLHUP)) break;
  }
  if (!reaped) ::waitpid(command, &wait_status, 0);
  return wait_status;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: notify_floor COMMAND [ARGS...]\n");
    return 2;
  }
  auto* handshake = static_cast<Handshake*>(
      ::mmap(nullptr, sizeof(Handshake), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  if (handshake == MAP_FAILED) {
    std::perror("notify_floor: mmap");
    return 1;
  }
  new (handshake) Handshake;

  pid_t command = ::fork();
  if (command == 0) {
    handshake->listener = install_filter();
    if (handshake->listener < 0) {
      std::perror("notify_floor: seccomp");
      ::_exit(127);
    }
    handshake->stage = 1;
    while (handshake->stage != 2) ::usleep(10);
    ::close(handshake->listener);
    ::execvp(argv[1], argv + 1);
    std::perror("notify_floor: exec");
    ::_exit(127);
  }

  while (handshake->stage != 1) {
    int status = 0;
    if (::waitpid(command, &status, WNOHANG) == command) return 127;  // the filter failed
    ::usleep(10);
  }
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, command, 0));
  int listener = pidfd < 0 ? -1 : static_cast<int>(::syscall(SYS_pidfd_getfd, pidfd, handshake->listener, 0));
  if (listener < 0) {
    std::perror("notify_floor: pidfd_getfd");
    ::kill(command, SIGKILL);
    ::waitpid(command, nullptr, 0);
    return 1;
  }
  if (::ioctl(listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP) != 0) {
    std::perror("notify_floor: SECCOMP_IOCTL_NOTIF_SET_FLAGS");
  }
  handshake->stage = 2;

  long answered = 0;
  int wait_status = supervise(listener, pidfd, command, answered);
  std::fprintf(stderr, "notify_floor: %ld notifications answered\n", answered);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return WEXITSTATUS(wait_status);
}
