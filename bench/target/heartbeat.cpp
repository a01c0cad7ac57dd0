#include "heartbeat.hpp"

#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include <atomic>

namespace bench {

namespace {

std::atomic<bool> g_armed{false};
std::atomic<unsigned> g_generation{0};    // bumped by each arm_heartbeat()
std::atomic<unsigned> g_spinning{0};      // generation the thread is measuring
std::atomic<unsigned> g_finished{0};      // generation whose maximum is final
std::atomic<std::int64_t> g_max_gap_ns{0};

std::int64_t monotonic_ns() {
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return now.tv_sec * 1'000'000'000LL + now.tv_nsec;
}

void measure(unsigned generation) {
  std::int64_t max_gap = 0;
  g_max_gap_ns.store(0);
  g_spinning.store(generation);
  std::int64_t last = monotonic_ns();
  while (g_armed.load(std::memory_order_relaxed) &&
         g_generation.load(std::memory_order_relaxed) == generation) {
    std::int64_t now = monotonic_ns();
    if (now - last > max_gap) {
      max_gap = now - last;
      g_max_gap_ns.store(max_gap, std::memory_order_relaxed);
    }
    last = now;
  }
  // The gap up to this read counts too: the thread may have been frozen
  // just before the measurement was stopped.
  std::int64_t final_gap = monotonic_ns() - last;
  if (final_gap > max_gap) g_max_gap_ns.store(final_gap);
  g_finished.store(generation);
}

void* heartbeat_main(void*) {
  for (;;) {
    if (!g_armed.load()) {
      ::usleep(1000);
      continue;
    }
    measure(g_generation.load());
  }
}

}  // namespace

bool start_heartbeat() {
  pthread_t thread;
  if (pthread_create(&thread, nullptr, heartbeat_main, nullptr) != 0) return false;
  pthread_setname_np(thread, "heartbeat");
  return true;
}

void arm_heartbeat() {
  unsigned generation = g_generation.fetch_add(1) + 1;
  g_armed.store(true);
  while (g_spinning.load() != generation) ::usleep(100);
}

std::int64_t disarm_heartbeat() {
  unsigned generation = g_generation.load();
  g_armed.store(false);
  while (g_finished.load() != generation) ::usleep(100);
  return g_max_gap_ns.load();
}

}  // namespace bench
