// A target with many threads that keeps working while it is snapshotted:
// most threads park, and a few workers count their progress in
// `g_progress`, whose address is printed so a test can read it with
// process_vm_readv. Workers spin, sleep, and hand a token back and forth
// over a condition variable, so a thread left stopped stalls the count.
// Arguments: [THREADS] (default 200, workers included).
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

namespace {

constexpr int kWorkers = 4;

// One counter per worker, so a test can tell which worker stalled.
std::atomic<unsigned long> g_progress[kWorkers];
std::atomic<int> g_parked{0};
std::mutex g_mutex;
std::condition_variable g_never;
std::condition_variable g_token_moved;
int g_token = 0;  // which of the two ping-pong workers may go

void park() {
  std::unique_lock<std::mutex> lock(g_mutex);
  ++g_parked;
  g_never.wait(lock, [] { return false; });
}

void spin(int slot) {
  while (true) g_progress[slot].fetch_add(1, std::memory_order_relaxed);
}

void sleep_in_steps(int slot) {
  while (true) {
    std::this_thread::sleep_for(std::chrono::microseconds(200));
    g_progress[slot].fetch_add(1, std::memory_order_relaxed);
  }
}

void ping_pong(int slot, int me) {
  while (true) {
    std::unique_lock<std::mutex> lock(g_mutex);
    g_token_moved.wait(lock, [&] { return g_token == me; });
    g_token = 1 - me;
    g_progress[slot].fetch_add(1, std::memory_order_relaxed);
    g_token_moved.notify_all();
  }
}

}  // namespace

int main(int argc, char** argv) {
  int threads = argc > 1 ? std::atoi(argv[1]) : 200;
  int parked = threads > kWorkers + 1 ? threads - kWorkers - 1 : 0;
  std::vector<std::thread> pool;
  for (int i = 0; i < parked; ++i) pool.emplace_back(park);
  while (g_parked.load() < parked) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  pool.emplace_back(spin, 0);
  pool.emplace_back(sleep_in_steps, 1);
  pool.emplace_back(ping_pong, 2, 0);
  pool.emplace_back(ping_pong, 3, 1);

  std::printf("workers %d\n", kWorkers);
  std::printf("addr_progress %p\n", static_cast<void*>(&g_progress[0]));
  std::printf("ready\n");
  std::fflush(stdout);
  while (true) ::pause();
}
