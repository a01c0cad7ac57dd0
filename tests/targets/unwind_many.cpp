// Unwind benchmark target: N threads (argv[1], default 1000), each parked
// about 22 frames deep, in turn in a condition variable wait, a pipe read
// and a poll. Prints "threads N", then "ready".
#include <poll.h>
#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>

namespace {

int g_never_written[2];
pthread_mutex_t g_mutex = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t g_never_signaled = PTHREAD_COND_INITIALIZER;
std::atomic<int> g_parked{0};

__attribute__((noipa)) void park(long kind) {
  g_parked.fetch_add(1);
  if (kind == 0) {
    pthread_mutex_lock(&g_mutex);
    for (;;) pthread_cond_wait(&g_never_signaled, &g_mutex);
  }
  if (kind == 1) {
    char byte;
    while (::read(g_never_written[0], &byte, 1) != 0) {
    }
  }
  pollfd descriptor{g_never_written[0], POLLIN, 0};
  for (;;) ::poll(&descriptor, 1, -1);
}

// One frame per level; the asm keeps the call from becoming a tail call.
template <int Level>
__attribute__((noipa)) void descend(long kind) {
  if constexpr (Level == 0) {
    park(kind);
  } else {
    descend<Level - 1>(kind);
  }
  asm volatile("" ::: "memory");
}

void* thread_main(void* kind) {
  descend<16>(reinterpret_cast<long>(kind));
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  long count = argc > 1 ? std::atol(argv[1]) : 1000;
  if (::pipe(g_never_written) != 0) return 1;
  pthread_attr_t attributes;
  pthread_attr_init(&attributes);
  pthread_attr_setstacksize(&attributes, 64 * 1024);
  for (long i = 0; i < count; ++i) {
    pthread_t thread;
    if (pthread_create(&thread, &attributes, thread_main, reinterpret_cast<void*>(i % 3)) != 0) {
      return 1;
    }
  }
  while (g_parked.load() < count) ::usleep(1000);
  std::printf("threads %ld\nready\n", count);
  std::fflush(stdout);
  for (;;) ::pause();
}
