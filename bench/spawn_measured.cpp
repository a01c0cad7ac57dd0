// Runs one command and measures it for the benchmark harness: wall time,
// CPU time and peak RSS from wait4, with a timeout.
//
// Usage: stray_bench_spawn RESULT_FILE TIMEOUT_MS COMMAND [ARGUMENT...]
// The command inherits stdin, stdout and stderr. When it ends, RESULT_FILE
// receives one line "wall_ns W cpu_ns C max_rss_kib R status S timed_out T",
// where S is the exit status, or minus the signal number that killed it.
//
// The harness does not fork the command itself. On exec, Linux keeps the
// peak RSS of the replaced address space in the new program's ru_maxrss
// (exec_mmap in fs/exec.c). A child forked from the Python harness would
// therefore report at least the harness's peak, while the peak of this
// small program is about a megabyte.
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

long long monotonic_ns() {
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return now.tv_sec * 1'000'000'000LL + now.tv_nsec;
}

long long to_ns(const timeval& time) {
  return static_cast<long long>(time.tv_sec) * 1'000'000'000LL + time.tv_usec * 1000LL;
}

// Waits for SIGCHLD until deadline_ns. Returns false when the deadline passed.
bool wait_for_child_signal(const sigset_t& child_signal, long long deadline_ns) {
  for (;;) {
    long long left = deadline_ns - monotonic_ns();
    if (left <= 0) return false;
    timespec timeout{static_cast<time_t>(left / 1'000'000'000LL),
                     static_cast<long>(left % 1'000'000'000LL)};
    if (sigtimedwait(&child_signal, nullptr, &timeout) == SIGCHLD) return true;
    if (errno != EINTR && errno != EAGAIN) return false;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4 || std::atoll(argv[2]) <= 0) {
    std::fprintf(stderr, "usage: %s RESULT_FILE TIMEOUT_MS COMMAND [ARGUMENT...]\n", argv[0]);
    return 2;
  }
  sigset_t child_signal;
  sigemptyset(&child_signal);
  sigaddset(&child_signal, SIGCHLD);
  sigprocmask(SIG_BLOCK, &child_signal, nullptr);

  long long started = monotonic_ns();
  pid_t child = fork();
  if (child < 0) {
    std::perror("stray_bench_spawn: fork failed");
    return 1;
  }
  if (child == 0) {
    sigprocmask(SIG_UNBLOCK, &child_signal, nullptr);
    execvp(argv[3], argv + 3);
    std::fprintf(stderr, "stray_bench_spawn: cannot run %s: %s\n", argv[3], std::strerror(errno));
    _exit(127);
  }

  bool timed_out = !wait_for_child_signal(child_signal, started + std::atoll(argv[2]) * 1'000'000LL);
  if (timed_out) kill(child, SIGKILL);
  int status = 0;
  rusage usage{};
  while (wait4(child, &status, 0, &usage) < 0 && errno == EINTR) {
  }
  long long wall = monotonic_ns() - started;

  FILE* result = std::fopen(argv[1], "w");
  if (result == nullptr) {
    std::fprintf(stderr, "stray_bench_spawn: cannot write %s: %s\n", argv[1], std::strerror(errno));
    return 1;
  }
  std::fprintf(result, "wall_ns %lld cpu_ns %lld max_rss_kib %ld status %d timed_out %d\n", wall,
               to_ns(usage.ru_utime) + to_ns(usage.ru_stime), usage.ru_maxrss,
               WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status), timed_out ? 1 : 0);
  std::fclose(result);
  return 0;
}
