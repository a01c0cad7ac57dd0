// A small service with a thread leak, for trying stray on real input.
//
// A pool of four workers waits on a condition variable for jobs: those are
// expected. Each "request" starts a producer thread that writes records into
// a pipe and a consumer that reads a few of them and then gives up without
// closing its end. The producer fills the pipe and blocks in write() for
// ever: that is the leak stray should point at.
//
// Prints "pid N" and "ready" once every thread is parked, then waits until
// it is killed.
#include <fcntl.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <condition_variable>
#include <cstdio>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

class WorkerPool {
 public:
  explicit WorkerPool(int size) {
    for (int i = 0; i < size; ++i) workers_.emplace_back([this] { work(); });
  }

 private:
  void work() {
    pthread_setname_np(pthread_self(), "pool-worker");
    while (true) {
      std::function<void()> job;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        jobs_ready_.wait(lock, [this] { return !jobs_.empty(); });
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      job();
    }
  }

  std::mutex mutex_;
  std::condition_variable jobs_ready_;
  std::deque<std::function<void()>> jobs_;
  std::vector<std::thread> workers_;
};

void produce_records(int fd) {
  pthread_setname_np(pthread_self(), "producer");
  std::string record(512, 'r');
  // Blocks in write() once the pipe is full and no thread reads it any more.
  while (write(fd, record.data(), record.size()) > 0) {
  }
}

void consume_a_few(int fd) {
  char buffer[512];
  for (int i = 0; i < 3; ++i) {
    if (read(fd, buffer, sizeof buffer) <= 0) break;
  }
  // Returns without closing fd: the producer never learns to stop.
}

void handle_request() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return;
  std::thread(produce_records, fds[1]).detach();
  std::thread(consume_a_few, fds[0]).join();
}

}  // namespace

int main() {
  // Lets a debugger of the same user attach under Yama's ptrace_scope=1,
  // which otherwise allows tracing only descendants.
  prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);

  WorkerPool pool(4);
  for (int request = 0; request < 2; ++request) handle_request();
  // Give the producers time to fill their pipes and block.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));

  std::printf("pid %d\nready\n", getpid());
  std::fflush(stdout);
  while (true) pause();
}
