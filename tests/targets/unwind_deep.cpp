// Unwind test target: threads parked in known call chains. Every function
// of a chain is extern "C" and noipa, so it keeps its own frame and symbol
// (no inlining, cloning or tail call), and the test can find each frame's
// pc in the symbol table. Prints "tid_NAME TID" per thread and "addr_FUNC
// ADDRESS" per function, then "ready".
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>

namespace {

int g_never_written[2];  // a pipe that no one writes: read() on it blocks forever
std::atomic<int> g_parked{0};
std::atomic<int> g_tid_signal{0};
std::atomic<bool> g_in_handler{false};

void print_tid(const char* name) {
  std::printf("tid_%s %ld\n", name, static_cast<long>(::syscall(SYS_gettid)));
}

}  // namespace

#define KEEP_FRAME __attribute__((noipa))
// An empty asm after a call keeps the call from becoming a tail call.
#define NO_TAIL_CALL() asm volatile("" ::: "memory")

extern "C" {

KEEP_FRAME void park_in_read() {
  char byte;
  g_parked.fetch_add(1);
  while (::read(g_never_written[0], &byte, 1) != 0) {
  }
  NO_TAIL_CALL();
}

KEEP_FRAME void chain_level4() { park_in_read(); NO_TAIL_CALL(); }
KEEP_FRAME void chain_level3() { chain_level4(); NO_TAIL_CALL(); }
// Keeps rbp as its frame pointer, so its CFI defines the CFA from rbp.
KEEP_FRAME __attribute__((optimize("no-omit-frame-pointer"))) void chain_level2() {
  chain_level3();
  NO_TAIL_CALL();
}
KEEP_FRAME void chain_level1() { chain_level2(); NO_TAIL_CALL(); }
KEEP_FRAME void* chain_thread(void*) {
  print_tid("chain");
  chain_level1();
  NO_TAIL_CALL();
  return nullptr;
}

KEEP_FRAME int recurse(int depth) {
  if (depth == 0) {
    park_in_read();
    NO_TAIL_CALL();
    return 0;
  }
  int result = recurse(depth - 1);
  NO_TAIL_CALL();
  return result + 1;
}
KEEP_FRAME void* recursion_thread(void* depth) {
  print_tid("recursion");
  recurse(static_cast<int>(reinterpret_cast<long>(depth)));
  NO_TAIL_CALL();
  return nullptr;
}

KEEP_FRAME void handler_level1() {
  g_in_handler.store(true);
  park_in_read();
  NO_TAIL_CALL();
}
KEEP_FRAME void on_signal(int) { handler_level1(); NO_TAIL_CALL(); }
KEEP_FRAME void signal_wait_level1() { park_in_read(); NO_TAIL_CALL(); }
KEEP_FRAME void* signal_thread(void*) {
  g_tid_signal.store(static_cast<int>(::syscall(SYS_gettid)));
  print_tid("signal");
  signal_wait_level1();
  NO_TAIL_CALL();
  return nullptr;
}

KEEP_FRAME void nocfi_callee() { park_in_read(); NO_TAIL_CALL(); }
// Defined below in assembly without CFI, so no .eh_frame entry covers it;
// its caller can only be found by following rbp.
void nocfi_trampoline();
KEEP_FRAME void nocfi_caller() { nocfi_trampoline(); NO_TAIL_CALL(); }
KEEP_FRAME void* nocfi_thread(void*) {
  print_tid("nocfi");
  nocfi_caller();
  NO_TAIL_CALL();
  return nullptr;
}

}  // extern "C"

asm(R"(
    .text
    .globl nocfi_trampoline
    .type nocfi_trampoline, @function
nocfi_trampoline:
    push %rbp
    mov %rsp, %rbp
    call nocfi_callee
    nop
    pop %rbp
    ret
    .size nocfi_trampoline, .-nocfi_trampoline
)");

namespace {

void start_thread(void* (*routine)(void*), void* argument) {
  pthread_t thread;
  if (pthread_create(&thread, nullptr, routine, argument) != 0) std::abort();
}

void wait_until(int parked) {
  while (g_parked.load() < parked) ::usleep(1000);
}

}  // namespace

int main(int argc, char** argv) {
  long depth = argc > 1 ? std::atol(argv[1]) : 1000;
  if (::pipe(g_never_written) != 0) return 1;
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  if (::sigaction(SIGUSR1, &action, nullptr) != 0) return 1;

  std::printf("addr_chain_thread %p\n", reinterpret_cast<void*>(&chain_thread));
  start_thread(chain_thread, nullptr);
  start_thread(recursion_thread, reinterpret_cast<void*>(depth));
  start_thread(nocfi_thread, nullptr);
  start_thread(signal_thread, nullptr);
  wait_until(4);

  // The signal thread is parked in read(); the handler interrupts it and
  // parks again, so the stack contains a signal frame.
  if (::syscall(SYS_tgkill, ::getpid(), g_tid_signal.load(), SIGUSR1) != 0) return 1;
  while (!g_in_handler.load()) ::usleep(1000);
  wait_until(5);

  std::printf("ready\n");
  std::fflush(stdout);
  for (;;) ::pause();
}
