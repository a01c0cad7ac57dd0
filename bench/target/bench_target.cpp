// Benchmark target: N threads (argv[1]) parked in turn in a condition
// variable, a held mutex, a pipe read, poll, epoll_wait and nanosleep,
// each 20 to 40 frames deep through the executable and a shared library,
// plus a heartbeat thread that measures stalls.
//
// Prints "threads N", then "ready" once every thread reached its blocking
// call. Then reads commands on stdin, one a line:
//   arm    starts a heartbeat measurement; replies "armed"
//   stop   ends it; replies "max_gap_ns NANOSECONDS"
// and exits at the end of stdin.
#include <pthread.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "heartbeat.hpp"
#include "parking.hpp"

namespace {

constexpr std::size_t kThreadStackBytes = 128 * 1024;

// Spreads the threads over every park kind and over a range of depths.
// Together with about 8 frames of libc and the thread start, the stacks
// are 20 to 40 frames deep.
bench::ParkPlan plan_for(long index) {
  bench::ParkPlan plan;
  plan.kind = static_cast<bench::ParkKind>(index % bench::kParkKinds);
  plan.library_depth = 3 + static_cast<int>(index * 5 % 9);     // 3 to 11
  plan.executable_depth = 8 + static_cast<int>(index * 7 % 13);  // 8 to 20
  return plan;
}

void* worker_main(void* argument) {
  bench::run_and_park(*static_cast<const bench::ParkPlan*>(argument));
}

bool start_workers(std::vector<bench::ParkPlan>& plans) {
  pthread_attr_t attributes;
  pthread_attr_init(&attributes);
  pthread_attr_setstacksize(&attributes, kThreadStackBytes);
  for (auto& plan : plans) {
    pthread_t thread;
    int error = pthread_create(&thread, &attributes, worker_main, &plan);
    if (error != 0) {
      std::fprintf(stderr, "bench target: pthread_create failed: %s\n", std::strerror(error));
      return false;
    }
  }
  pthread_attr_destroy(&attributes);
  return true;
}

void serve_commands() {
  std::string command;
  while (std::getline(std::cin, command)) {
    if (command == "arm") {
      bench::arm_heartbeat();
      std::cout << "armed" << std::endl;
    } else if (command == "stop") {
      std::cout << "max_gap_ns " << bench::disarm_heartbeat() << std::endl;
    } else {
      std::cout << "error unknown command: " << command << std::endl;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  long count = argc > 1 ? std::atol(argv[1]) : 100;
  if (count < 1) {
    std::fprintf(stderr, "usage: %s THREADS (at least 1)\n", argv[0]);
    return 2;
  }
  if (!bench::set_up_parking()) {
    std::fprintf(stderr, "bench target: cannot create the park descriptors: %s\n",
                 std::strerror(errno));
    return 1;
  }
  // Started first, so it has the lowest tid after the main thread.
  if (!bench::start_heartbeat()) {
    std::fprintf(stderr, "bench target: cannot start the heartbeat thread\n");
    return 1;
  }
  std::vector<bench::ParkPlan> plans;
  for (long i = 0; i < count; ++i) plans.push_back(plan_for(i));
  if (!start_workers(plans)) return 1;
  while (bench::g_parked_threads.load() < count) ::usleep(1000);

  std::cout << "threads " << count << "\nready" << std::endl;
  serve_commands();
  return 0;
}
