// A target for leak checks: a pool of workers parked on a condition
// variable, plus optional threads named by the arguments:
//   leak_and_pool POOL_SIZE [leak] [stopping] [timer]
//   leak      one thread blocked reading a pipe that never gets data
//   stopping  one thread that exits about 200 ms after the process gets
//             SIGUSR1, like a thread asked to shut down
//   timer     a SIGEV_THREAD timer, so glibc starts its timer helper thread
// Prints "pool_tid", "leak_tid" and "stopping_tid" lines, then "ready".
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

std::mutex g_mutex;
std::condition_variable g_jobs;
std::atomic<int> g_started{0};
int g_leak_pipe[2];
int g_stop_pipe[2];
std::mutex g_tids_mutex;
std::vector<std::pair<std::string, long>> g_tids;

void announce(const char* role) {
  std::lock_guard<std::mutex> lock(g_tids_mutex);
  g_tids.emplace_back(role, syscall(SYS_gettid));
  ++g_started;
}

__attribute__((noinline)) void wait_for_job() {
  std::unique_lock<std::mutex> lock(g_mutex);
  g_jobs.wait(lock, [] { return false; });
}

__attribute__((noinline)) void pool_worker() {
  announce("pool_tid");
  wait_for_job();
}

__attribute__((noinline)) void read_forever() {
  char byte;
  while (true) (void)!read(g_leak_pipe[0], &byte, 1);
}

__attribute__((noinline)) void leaked_reader() {
  announce("leak_tid");
  read_forever();
}

__attribute__((noinline)) void stopping_worker() {
  announce("stopping_tid");
  char byte;
  while (read(g_stop_pipe[0], &byte, 1) != 1) {
  }
  // The shutdown work that the grace period has to wait for.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
}

void on_stop_signal(int) {
  char byte = 'x';
  (void)!write(g_stop_pipe[1], &byte, 1);
}

void on_timer(sigval) {}

void start_timer_helper() {
  sigevent event{};
  event.sigev_notify = SIGEV_THREAD;
  event.sigev_notify_function = on_timer;
  timer_t timer;
  if (timer_create(CLOCK_MONOTONIC, &event, &timer) != 0) std::perror("timer_create");
}

bool has_word(int argc, char** argv, const char* word) {
  for (int i = 2; i < argc; ++i) {
    if (std::strcmp(argv[i], word) == 0) return true;
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  const int pool_size = argc > 1 ? std::atoi(argv[1]) : 4;
  if (pipe(g_leak_pipe) != 0 || pipe(g_stop_pipe) != 0) return 1;
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  action.sa_flags = SA_RESTART;
  sigaction(SIGUSR1, &action, nullptr);

  int expected = pool_size;
  std::vector<std::thread> threads;
  for (int i = 0; i < pool_size; ++i) threads.emplace_back(pool_worker);
  if (has_word(argc, argv, "leak")) threads.emplace_back(leaked_reader), ++expected;
  if (has_word(argc, argv, "stopping")) threads.emplace_back(stopping_worker), ++expected;
  if (has_word(argc, argv, "timer")) start_timer_helper();
  while (g_started.load() < expected) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  // Let every thread reach its blocking call before the test looks.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));

  for (const auto& [role, tid] : g_tids) std::printf("%s %ld\n", role.c_str(), tid);
  std::printf("ready\n");
  std::fflush(stdout);
  while (true) pause();
}
