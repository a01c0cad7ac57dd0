// A target whose threads leak at a steady rate, for `stray watch`.
// Arguments: [INTERVAL_MS] [EXIT_AFTER_MS]. Two pool threads park on a
// condition variable. After "ready", every INTERVAL_MS (default 100) one
// more thread blocks in read on a pipe inside leak_reader, up to 500 of
// them. With EXIT_AFTER_MS > 0 the process exits on its own after that
// long. One thread is named "<script>" and one "q\"uo\\te" to test
// escaping; both park in sleep.
#include <pthread.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>

namespace {

constexpr int kMaxLeaked = 500;

std::mutex g_mutex;
std::condition_variable g_never;
int g_pipe[2];

__attribute__((noinline)) void pool_worker() {
  std::unique_lock<std::mutex> lock(g_mutex);
  g_never.wait(lock, [] { return false; });
}

__attribute__((noinline)) void leak_reader() {
  char byte;
  // No thread writes to the pipe, so every reader stays blocked.
  while (read(g_pipe[0], &byte, 1) != 0) {
  }
}

__attribute__((noinline)) void oddly_named_sleeper(const char* name) {
  pthread_setname_np(pthread_self(), name);
  while (true) std::this_thread::sleep_for(std::chrono::hours(1));
}

}  // namespace

int main(int argc, char** argv) {
  int interval_ms = argc > 1 ? std::atoi(argv[1]) : 100;
  int exit_after_ms = argc > 2 ? std::atoi(argv[2]) : 0;
  if (pipe(g_pipe) != 0) return 1;

  std::thread(pool_worker).detach();
  std::thread(pool_worker).detach();
  std::thread(oddly_named_sleeper, "<script>").detach();
  std::thread(oddly_named_sleeper, "q\"uo\\te").detach();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::printf("interval_ms %d\nready\n", interval_ms);
  std::fflush(stdout);

  auto started = std::chrono::steady_clock::now();
  for (int leaked = 0; true; ++leaked) {
    std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms));
    if (leaked < kMaxLeaked) std::thread(leak_reader).detach();
    auto elapsed = std::chrono::steady_clock::now() - started;
    if (exit_after_ms > 0 && elapsed >= std::chrono::milliseconds(exit_after_ms)) std::_Exit(0);
  }
}
