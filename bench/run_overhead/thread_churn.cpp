// A stand-in for a busy test binary: creates and joins threads, then forks
// short-lived children, and exits 0. `stray run` overhead is measured on it
// by bench/run_overhead/measure.sh.
//
// Usage: thread_churn [THREADS [FORKS [BATCH]]]   (defaults 10000 1000 8)
// THREADS are started BATCH at a time and joined before the next batch.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

namespace {

void churn_threads(int count, int batch) {
  std::vector<std::thread> running;
  for (int started = 0; started < count;) {
    for (int i = 0; i < batch && started < count; ++i, ++started) {
      running.emplace_back([] {});
    }
    for (std::thread& thread : running) thread.join();
    running.clear();
  }
}

bool churn_forks(int count) {
  for (int i = 0; i < count; ++i) {
    pid_t child = ::fork();
    if (child < 0) {
      std::perror("thread_churn: fork");
      return false;
    }
    if (child == 0) std::exit(0);  // a full exit: atexit handlers, then exit_group
    int status = 0;
    if (::waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      std::fprintf(stderr, "thread_churn: child %d did not exit with 0\n", child);
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  int threads = argc > 1 ? std::atoi(argv[1]) : 10000;
  int forks = argc > 2 ? std::atoi(argv[2]) : 1000;
  int batch = argc > 3 ? std::atoi(argv[3]) : 8;
  if (threads < 0 || forks < 0 || batch < 1) {
    std::fprintf(stderr, "usage: thread_churn [THREADS [FORKS [BATCH]]]\n");
    return 2;
  }
  churn_threads(threads, batch);
  return churn_forks(forks) ? 0 : 1;
}
