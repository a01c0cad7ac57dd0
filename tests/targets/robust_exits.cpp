// A target that exits on its own, to race against a snapshot: THREADS
// threads park or spin, and after DELAY_US microseconds past "ready" one of
// them calls exit(). Arguments: THREADS DELAY_US.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

namespace {

std::mutex g_mutex;
std::condition_variable g_never;
std::atomic<int> g_started{0};

void park() {
  std::unique_lock<std::mutex> lock(g_mutex);
  ++g_started;
  g_never.wait(lock, [] { return false; });
}

void spin() {
  ++g_started;
  volatile unsigned long counter = 0;
  while (true) counter = counter + 1;
}

}  // namespace

int main(int argc, char** argv) {
  int threads = argc > 1 ? std::atoi(argv[1]) : 50;
  long delay_us = argc > 2 ? std::atol(argv[2]) : 10000;
  std::vector<std::thread> pool;
  for (int i = 0; i < threads; ++i) pool.emplace_back(i % 10 == 0 ? spin : park);
  while (g_started.load() < threads) std::this_thread::sleep_for(std::chrono::milliseconds(1));

  std::printf("ready\n");
  std::fflush(stdout);
  // Exit from a thread other than main, while the others keep running.
  std::thread([delay_us] {
    std::this_thread::sleep_for(std::chrono::microseconds(delay_us));
    std::_Exit(0);
  }).detach();
  while (true) ::pause();
}
