#include "parking.hpp"

#include <poll.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "stages.hpp"

namespace bench {

std::atomic<int> g_parked_threads{0};

namespace {

int g_pipe[2] = {-1, -1};  // never written, so reads and polls block
int g_epoll = -1;
pthread_mutex_t g_held_mutex = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t g_condvar_mutex = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t g_never_signaled = PTHREAD_COND_INITIALIZER;

// Each loop retries after a spurious wakeup, or after EINTR, which
// epoll_wait returns when a ptrace stop ends (Linux 6.x).
[[noreturn, gnu::noinline]] void park(ParkKind kind) {
  g_parked_threads.fetch_add(1);
  char byte;
  pollfd descriptor{g_pipe[0], POLLIN, 0};
  epoll_event event;
  timespec hour{3600, 0};
  switch (kind) {
    case ParkKind::condvar:
      pthread_mutex_lock(&g_condvar_mutex);
      for (;;) pthread_cond_wait(&g_never_signaled, &g_condvar_mutex);
    case ParkKind::mutex:
      for (;;) pthread_mutex_lock(&g_held_mutex);
    case ParkKind::read:
      for (;;) (void)::read(g_pipe[0], &byte, 1);
    case ParkKind::poll:
      for (;;) ::poll(&descriptor, 1, -1);
    case ParkKind::epoll:
      for (;;) ::epoll_wait(g_epoll, &event, 1, -1);
    case ParkKind::sleep:
      for (;;) ::nanosleep(&hour, nullptr);
  }
  __builtin_unreachable();
}

// The executable's own chain: two functions that call each other, each
// with an inlined helper, so the symbolizer has inline frames to report.
void decode_record(const ParkPlan& plan, int remaining);
void apply_record(const ParkPlan& plan, int remaining);

[[gnu::always_inline]] inline void checked_step(const ParkPlan& plan, int remaining,
                                                 void (*step)(const ParkPlan&, int)) {
  if (remaining <= 0) park(plan.kind);
  step(plan, remaining - 1);
}

[[gnu::noipa]] void decode_record(const ParkPlan& plan, int remaining) {
  checked_step(plan, remaining, apply_record);
  asm volatile("" ::: "memory");
}

[[gnu::noipa]] void apply_record(const ParkPlan& plan, int remaining) {
  checked_step(plan, remaining, decode_record);
  asm volatile("" ::: "memory");
}

void continue_in_executable(void* context) {
  const auto& plan = *static_cast<const ParkPlan*>(context);
  decode_record(plan, plan.executable_depth);
}

}  // namespace

bool set_up_parking() {
  if (::pipe(g_pipe) != 0) return false;
  g_epoll = ::epoll_create1(0);
  if (g_epoll < 0) return false;
  epoll_event event{};
  event.events = EPOLLIN;
  if (::epoll_ctl(g_epoll, EPOLL_CTL_ADD, g_pipe[0], &event) != 0) return false;
  pthread_mutex_lock(&g_held_mutex);
  return true;
}

void run_and_park(const ParkPlan& plan) {
  run_stages(plan.library_depth, continue_in_executable, const_cast<ParkPlan*>(&plan));
  __builtin_unreachable();
}

}  // namespace bench
