// One thread per blocking system call, each blocked with no timeout (or an
// hour) on something that never happens. Whenever a call returns, the
// thread writes "return NAME RESULT ERRNO" to stdout and blocks again, so a
// test can see which calls a ptrace stop made return early. Raw syscalls
// are used where glibc would retry or convert, to observe the kernel alone.
// Prints "tid_NAME TID" per thread, then "ready" once every thread sleeps.
#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

int g_pipe[2];
int g_epoll = -1;
int g_listener = -1;
int g_udp = -1;
int g_futex_word = 0;
pid_t g_child = 0;
std::string g_lock_path;
std::mutex g_output_mutex;
std::vector<std::pair<std::string, long>> g_tids;

constexpr long kHourSeconds = 3600;

void report(const char* name, long result) {
  char line[128];
  int length = std::snprintf(line, sizeof line, "return %s %ld %d\n", name, result,
                             result < 0 ? errno : 0);
  (void)!::write(STDOUT_FILENO, line, static_cast<std::size_t>(length));
}

long call_read() {
  char byte;
  return ::syscall(SYS_read, g_pipe[0], &byte, 1);
}

long call_futex() {
  return ::syscall(SYS_futex, &g_futex_word, FUTEX_WAIT_PRIVATE, 0, nullptr, nullptr, 0);
}

long call_futex_timeout() {
  timespec hour{kHourSeconds, 0};
  return ::syscall(SYS_futex, &g_futex_word, FUTEX_WAIT_PRIVATE, 0, &hour, nullptr, 0);
}

long call_poll() {
  pollfd pfd{g_pipe[0], POLLIN, 0};
  return ::syscall(SYS_poll, &pfd, 1, -1);
}

long call_poll_timeout() {
  pollfd pfd{g_pipe[0], POLLIN, 0};
  return ::syscall(SYS_poll, &pfd, 1, kHourSeconds * 1000);
}

long call_ppoll() {
  pollfd pfd{g_pipe[0], POLLIN, 0};
  return ::syscall(SYS_ppoll, &pfd, 1, nullptr, nullptr, 8);
}

long call_select() {
  fd_set read_set;
  FD_ZERO(&read_set);
  FD_SET(g_pipe[0], &read_set);
  return ::syscall(SYS_select, g_pipe[0] + 1, &read_set, nullptr, nullptr, nullptr);
}

long call_pselect() {
  fd_set read_set;
  FD_ZERO(&read_set);
  FD_SET(g_pipe[0], &read_set);
  return ::syscall(SYS_pselect6, g_pipe[0] + 1, &read_set, nullptr, nullptr, nullptr, nullptr);
}

long call_epoll_wait() {
  epoll_event event;
  return ::syscall(SYS_epoll_wait, g_epoll, &event, 1, -1);
}

long call_epoll_pwait() {
  epoll_event event;
  return ::syscall(SYS_epoll_pwait, g_epoll, &event, 1, -1, nullptr, 8);
}

long call_nanosleep() {
  timespec hour{kHourSeconds, 0};
  return ::syscall(SYS_nanosleep, &hour, nullptr);
}

long call_clock_nanosleep() {
  timespec hour{kHourSeconds, 0};
  long error = ::syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &hour, nullptr);
  return error;
}

long call_sigwaitinfo() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  return ::syscall(SYS_rt_sigtimedwait, &set, nullptr, nullptr, 8);
}

long call_sigtimedwait() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  timespec hour{kHourSeconds, 0};
  return ::syscall(SYS_rt_sigtimedwait, &set, nullptr, &hour, 8);
}

long call_pause() { return ::syscall(SYS_pause); }

long call_accept() { return ::syscall(SYS_accept, g_listener, nullptr, nullptr); }

long call_recvfrom() {
  char byte;
  return ::syscall(SYS_recvfrom, g_udp, &byte, 1, 0, nullptr, nullptr);
}

long call_wait4() { return ::syscall(SYS_wait4, g_child, nullptr, 0, nullptr); }

long call_flock() {
  int fd = ::open(g_lock_path.c_str(), O_RDONLY | O_CLOEXEC);
  long result = ::syscall(SYS_flock, fd, LOCK_EX);
  int saved = errno;
  ::close(fd);
  errno = saved;
  return result;
}

struct Call {
  const char* name;
  long (*function)();
};

const Call kCalls[] = {
    {"read", call_read},
    {"futex", call_futex},
    {"futex_timeout", call_futex_timeout},
    {"poll", call_poll},
    {"poll_timeout", call_poll_timeout},
    {"ppoll", call_ppoll},
    {"select", call_select},
    {"pselect6", call_pselect},
    {"epoll_wait", call_epoll_wait},
    {"epoll_pwait", call_epoll_pwait},
    {"nanosleep", call_nanosleep},
    {"clock_nanosleep", call_clock_nanosleep},
    {"sigwaitinfo", call_sigwaitinfo},
    {"sigtimedwait", call_sigtimedwait},
    {"pause", call_pause},
    {"accept", call_accept},
    {"recvfrom", call_recvfrom},
    {"wait4", call_wait4},
    {"flock", call_flock},
};

void run_call(const Call& call) {
  {
    std::lock_guard<std::mutex> lock(g_output_mutex);
    g_tids.emplace_back(call.name, ::syscall(SYS_gettid));
  }
  while (true) {
    long result = call.function();
    report(call.name, result);
    // A call that fails at once (EBADF, say) must not flood the output.
    if (result < 0 && errno != EINTR) ::sleep(1);
  }
}

char task_state(long tid) {
  std::ifstream stat("/proc/self/task/" + std::to_string(tid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  auto paren = text.rfind(')');
  return paren == std::string::npos || paren + 2 >= text.size() ? '?' : text[paren + 2];
}

void set_up_files() {
  if (::pipe(g_pipe) != 0) std::exit(1);
  g_epoll = ::epoll_create1(EPOLL_CLOEXEC);
  epoll_event event{};
  event.events = EPOLLIN;
  if (::epoll_ctl(g_epoll, EPOLL_CTL_ADD, g_pipe[0], &event) != 0) std::exit(1);

  g_listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(g_listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(g_listener, 1) != 0) {
    std::exit(1);
  }
  g_udp = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (::bind(g_udp, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) std::exit(1);

  char lock_path[] = "/tmp/stray-eintr-XXXXXX";
  int lock_fd = ::mkstemp(lock_path);
  if (lock_fd < 0 || ::flock(lock_fd, LOCK_EX) != 0) std::exit(1);
  g_lock_path = lock_path;
  ::unlink(lock_path);  // the holder's fd keeps the file; the waiter reopens it below
  g_lock_path = "/proc/self/fd/" + std::to_string(lock_fd);
}

void start_child() {
  g_child = ::fork();
  if (g_child == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    while (true) ::pause();
  }
}

}  // namespace

int main() {
  // sigwaitinfo needs SIGUSR1 blocked; threads inherit the mask.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  set_up_files();
  start_child();

  for (const Call& call : kCalls) std::thread(run_call, std::cref(call)).detach();
  std::size_t count = sizeof kCalls / sizeof kCalls[0];
  while (true) {
    std::lock_guard<std::mutex> lock(g_output_mutex);
    if (g_tids.size() == count) break;
  }
  for (const auto& [name, tid] : g_tids) {
    while (task_state(tid) != 'S') ::usleep(1000);
  }
  for (const auto& [name, tid] : g_tids) std::printf("tid_%s %ld\n", name.c_str(), tid);
  std::printf("ready\n");
  std::fflush(stdout);
  while (true) ::pause();
}
