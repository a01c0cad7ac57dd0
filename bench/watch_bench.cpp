// Watch-case benchmark: one stray::Inspector snapshots the same process
// several times, as `stray watch` does, and reports the cost of each
// snapshot. The first pays for opening modules, unwind tables and symbol
// data; later ones should find them cached.
//
// Usage: stray_watch_bench PID [SNAPSHOTS]. Prints one line per snapshot:
//   snapshot I wall_ns W cpu_ns C freeze_ns F threads T
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "stray/error.hpp"
#include "stray/inspect.hpp"

namespace {

long long process_cpu_ns() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto to_ns = [](const timeval& time) {
    return static_cast<long long>(time.tv_sec) * 1'000'000'000LL + time.tv_usec * 1000LL;
  };
  return to_ns(usage.ru_utime) + to_ns(usage.ru_stime);
}

}  // namespace

int main(int argc, char** argv) {
  int pid = argc > 1 ? std::atoi(argv[1]) : 0;
  int snapshots = argc > 2 ? std::atoi(argv[2]) : 5;
  if (pid <= 0 || snapshots < 2) {
    std::fprintf(stderr, "usage: %s PID [SNAPSHOTS, at least 2]\n", argv[0]);
    return 2;
  }
  stray::Inspector inspector;
  for (int i = 0; i < snapshots; ++i) {
    long long cpu_before = process_cpu_ns();
    auto started = std::chrono::steady_clock::now();
    stray::Snapshot snapshot;
    try {
      snapshot = inspector.inspect(pid);
    } catch (const stray::Error& error) {
      std::fprintf(stderr, "stray_watch_bench: snapshot %d of pid %d failed: %s\n", i, pid,
                   error.what());
      return 1;
    }
    auto wall = std::chrono::steady_clock::now() - started;
    long long cpu = process_cpu_ns() - cpu_before;
    std::printf("snapshot %d wall_ns %lld cpu_ns %lld freeze_ns %lld threads %zu\n", i,
                static_cast<long long>(std::chrono::nanoseconds(wall).count()), cpu,
                static_cast<long long>(snapshot.freeze_duration.count()), snapshot.threads.size());
  }
  return 0;
}
