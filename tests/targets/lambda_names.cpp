// Threads whose bodies are lambdas, for tests/lambda_names_test.cpp. CMake
// builds it twice: lambda_names at -O2, where GCC inlines the lambdas and
// their frames are named from DWARF, and lambda_names_O0, where each lambda
// is a function with an ELF symbol. Prints "ROLE TID" for each thread, then
// "ready" once all of them sleep:
//   condvar_tid   a lambda in main waiting on a condition variable with a predicate
//   sleep_tid     a lambda in main with an int parameter, sleeping
//   nested_tid    a lambda in main that calls a lambda of its own, reading a pipe
//   pool_tid      a lambda in a constructor, in an anonymous namespace, waiting
//                 in a member function
//   reader_tid    a lambda in a const member function with a std::string
//                 parameter, after an unused lambda, reading a pipe
//   template_tid  a lambda in a function template, waiting with a predicate
#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

std::mutex g_tids_mutex;
std::vector<std::pair<std::string, long>> g_tids;
int g_pipe[2];

void announce(const char* role) {
  std::lock_guard<std::mutex> lock(g_tids_mutex);
  g_tids.emplace_back(role, syscall(SYS_gettid));
}

std::vector<std::thread>& threads() {
  static std::vector<std::thread> all;
  return all;
}

// A condition that never becomes true, with a mutex of its own, so that no
// waiter is caught blocking on another waiter's mutex.
struct NeverSignaled {
  std::mutex mutex;
  std::condition_variable condition;
  bool done = false;
};

class Pool {
 public:
  Pool() {
    // The store after work() keeps GCC from making the call a tail call,
    // which at -O2 would leave no frame for the lambda.
    threads().emplace_back([this] {
      work();
      finished_ = true;
    });
  }

 private:
  __attribute__((noinline)) void work() {
    announce("pool_tid");
    std::unique_lock<std::mutex> lock(never_.mutex);
    never_.condition.wait(lock, [this] { return never_.done; });
  }

  NeverSignaled never_;
  bool finished_ = false;
};

struct Reader {
  void start(const std::string& name) const {
    auto unused = [](int value) { return value + 1; };
    (void)unused;
    threads().emplace_back([name] {
      announce("reader_tid");
      char byte;
      while (!name.empty()) (void)!read(g_pipe[0], &byte, 1);
    });
  }
};

template <typename T>
void spawn_waiter(T limit) {
  threads().emplace_back([limit] {
    announce("template_tid");
    static NeverSignaled never;
    std::unique_lock<std::mutex> lock(never.mutex);
    never.condition.wait(lock, [&] { return never.done && limit > 0; });
  });
}

// The state letter of /proc/self/task/TID/stat, or '?'.
char thread_state(long tid) {
  std::ifstream in("/proc/self/task/" + std::to_string(tid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::size_t close = text.rfind(')');
  return close != std::string::npos && close + 2 < text.size() ? text[close + 2] : '?';
}

}  // namespace

int main() {
  if (pipe(g_pipe) != 0) return 1;

  static NeverSignaled main_never;
  threads().emplace_back([] {
    announce("condvar_tid");
    std::unique_lock<std::mutex> lock(main_never.mutex);
    main_never.condition.wait(lock, [] { return main_never.done; });
  });
  threads().emplace_back(
      [](int seconds) {
        announce("sleep_tid");
        for (;;) sleep(static_cast<unsigned>(seconds));
      },
      1000);
  threads().emplace_back([] {
    announce("nested_tid");
    auto read_forever = [](int fd) {
      char byte;
      for (;;) (void)!read(fd, &byte, 1);
    };
    read_forever(g_pipe[0]);
  });
  new Pool;  // never destroyed: its thread uses it forever
  Reader{}.start("reader");
  spawn_waiter<long>(3);

  const std::size_t expected = threads().size();
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(g_tids_mutex);
      if (g_tids.size() == expected) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  // Every thread must be in its blocking call, not on its way there.
  for (const auto& entry : g_tids) {
    for (int tries = 0; tries < 2000 && thread_state(entry.second) != 'S'; ++tries)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(20));

  for (const auto& [role, tid] : g_tids) std::printf("%s %ld\n", role.c_str(), tid);
  std::printf("ready\n");
  std::fflush(stdout);
  for (;;) pause();
}
