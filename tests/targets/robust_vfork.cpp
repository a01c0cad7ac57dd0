// A thread that never reports a ptrace stop: it calls vfork(), and the
// parent thread waits in uninterruptible sleep (state D) until the child
// exits, which it does after CHILD_SECONDS. Each time the parent returns
// from vfork it prints "vfork_returned" and starts again, so a test can see
// that the thread still runs after a snapshot. Prints "tid_vfork TID" and
// "ready" once the thread is in state D. Arguments: CHILD_SECONDS.
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

namespace {

std::atomic<long> g_vfork_tid{0};

char task_state(long tid) {
  std::ifstream stat("/proc/self/task/" + std::to_string(tid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  auto paren = text.rfind(')');
  return paren == std::string::npos || paren + 2 >= text.size() ? '?' : text[paren + 2];
}

void vfork_forever(long child_seconds) {
  g_vfork_tid.store(::syscall(SYS_gettid));
  while (true) {
    pid_t child = ::vfork();
    if (child == 0) {
      // The child shares the parent's memory until it exits, so it only
      // makes raw system calls.
      timespec duration{child_seconds, 0};
      ::syscall(SYS_nanosleep, &duration, nullptr);
      ::syscall(SYS_exit, 0);
    }
    ::waitpid(child, nullptr, 0);
    (void)!::write(STDOUT_FILENO, "vfork_returned\n", 15);
  }
}

}  // namespace

int main(int argc, char** argv) {
  long child_seconds = argc > 1 ? std::atol(argv[1]) : 2;
  std::thread(vfork_forever, child_seconds).detach();
  while (g_vfork_tid.load() == 0 || task_state(g_vfork_tid.load()) != 'D') ::usleep(1000);
  std::printf("tid_vfork %ld\n", g_vfork_tid.load());
  std::printf("ready\n");
  std::fflush(stdout);
  while (true) ::pause();
}
