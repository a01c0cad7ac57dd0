// The floor of the seccomp design of `stray run`: the cost per process exit
// of a supervisor that does nothing but reply to each exit_group notification
// with CONTINUE. A child process installs the same kind of filter that
// stray installs (exit_group returns SECCOMP_RET_USER_NOTIF), then forks
// COUNT children that exit at once, and times fork + waitpid of each.
//
// Usage: notify_floor MODE [COUNT]   (COUNT defaults to 1000)
//   MODE 0: no filter (the time alone)
//   MODE 1: filter, supervisor blocks in SECCOMP_IOCTL_NOTIF_RECV
//   MODE 2: filter, supervisor polls the listener first, as stray does
// Prints the sum and the median of the fork-to-reap times.
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

// Shared between the supervisor and the measured process.
struct Handshake {
  std::atomic<int> stage{0};  // 1: filter installed, 2: supervisor ready
  int listener = -1;          // the fd number in the measured process
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
                                    SECCOMP_FILTER_FLAG_NEW_LISTENER, &filter));
}

// Forks `count` children that exit at once and prints the timings.
void measure(int count, int mode) {
  std::vector<double> micros;
  for (int i = 0; i < count; ++i) {
    auto started = std::chrono::steady_clock::now();
    pid_t child = ::fork();
    if (child == 0) ::_exit(0);
    int status = 0;
    ::waitpid(child, &status, 0);
    micros.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - started).count());
  }
  double sum = 0;
  for (double value : micros) sum += value;
  std::sort(micros.begin(), micros.end());
  std::printf("mode %d: %d forks, sum %.1f ms, median %.0f us\n", mode, count, sum / 1000,
              micros[micros.size() / 2]);
  std::fflush(stdout);
}

void supervise(int listener, int mode) {
  ::ioctl(listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP);
  seccomp_notif request;
  seccomp_notif_resp response;
  while (true) {
    if (mode == 2) {
      pollfd entry{listener, POLLIN, 0};
      if (::poll(&entry, 1, -1) < 0 || (entry.revents & POLLHUP)) return;
    }
    std::memset(&request, 0, sizeof request);
    if (::ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &request) != 0) return;
    std::memset(&response, 0, sizeof response);
    response.id = request.id;
    response.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    ::ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &response);
  }
}

}  // namespace

int main(int argc, char** argv) {
  int mode = argc > 1 ? std::atoi(argv[1]) : -1;
  int count = argc > 2 ? std::atoi(argv[2]) : 1000;
  if (mode < 0 || mode > 2 || count < 1) {
    std::fprintf(stderr, "usage: notify_floor MODE(0|1|2) [COUNT]\n");
    return 2;
  }
  auto* handshake = static_cast<Handshake*>(
      ::mmap(nullptr, sizeof(Handshake), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  new (handshake) Handshake;
  pid_t measured = ::fork();
  if (measured == 0) {
    if (mode != 0) {
      handshake->listener = install_filter();
      handshake->stage = 1;
      while (handshake->stage != 2) ::usleep(100);
    }
    measure(count, mode);
    // The last thread ends with exit, not exit_group: the supervisor may be
    // gone by the time this process ends.
    ::syscall(SYS_exit, 0);
  }
  if (mode != 0) {
    while (handshake->stage != 1) ::usleep(100);
    int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, measured, 0));
    int listener = static_cast<int>(::syscall(SYS_pidfd_getfd, pidfd, handshake->listener, 0));
    if (listener < 0) {
      std::perror("notify_floor: pidfd_getfd");
      ::kill(measured, SIGKILL);
      ::waitpid(measured, nullptr, 0);
      return 1;
    }
    handshake->stage = 2;
    supervise(listener, mode);
  }
  ::waitpid(measured, nullptr, 0);
  return 0;
}
