// Odd stacks, each on its own thread parked in read() on a pipe no one
// writes: a signal handler running on a sigaltstack, a makecontext
// coroutine, deep recursion with large frames, code without unwind
// information in an anonymous executable mapping, a function that
// overwrote its own saved return address, and a read() issued from
// assembly without unwind information (as glibc's __clone3 after its
// syscall). Chain functions are extern "C"
// and noipa so each keeps its frame and symbol. Prints "tid_NAME TID" per
// thread, then "ready". Arguments: [RECURSION_DEPTH] (default 600, 4 KiB a
// frame).
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace {

int g_never_written[2];
std::atomic<int> g_parked{0};
std::atomic<int> g_tid_altstack{0};
std::atomic<bool> g_in_handler{false};
long g_depth = 600;
ucontext_t g_thread_context;
ucontext_t g_coroutine_context;

void print_tid(const char* name) {
  std::printf("tid_%s %ld\n", name, static_cast<long>(::syscall(SYS_gettid)));
}

}  // namespace

#define KEEP_FRAME __attribute__((noipa))
#define NO_TAIL_CALL() asm volatile("" ::: "memory")

extern "C" {

KEEP_FRAME void park_in_read() {
  char byte;
  g_parked.fetch_add(1);
  while (::read(g_never_written[0], &byte, 1) != 0) {
  }
  NO_TAIL_CALL();
}

// Signal handler on an alternate stack.
KEEP_FRAME void altstack_handler_level1() {
  g_in_handler.store(true);
  park_in_read();
  NO_TAIL_CALL();
}
KEEP_FRAME void on_altstack_signal(int) { altstack_handler_level1(); NO_TAIL_CALL(); }
KEEP_FRAME void altstack_wait_level1() { park_in_read(); NO_TAIL_CALL(); }
KEEP_FRAME void* altstack_thread(void*) {
  std::size_t size = 64 * 1024;
  void* memory = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) std::abort();
  stack_t alternate{};
  alternate.ss_sp = memory;
  alternate.ss_size = size;
  if (::sigaltstack(&alternate, nullptr) != 0) std::abort();
  g_tid_altstack.store(static_cast<int>(::syscall(SYS_gettid)));
  print_tid("altstack");
  altstack_wait_level1();
  NO_TAIL_CALL();
  return nullptr;
}

// A makecontext coroutine on a heap stack of its own.
KEEP_FRAME void coroutine_level1() { park_in_read(); NO_TAIL_CALL(); }
KEEP_FRAME void coroutine_entry() { coroutine_level1(); NO_TAIL_CALL(); }
KEEP_FRAME void* coroutine_thread(void*) {
  std::size_t size = 128 * 1024;
  void* stack = std::malloc(size);
  if (stack == nullptr || ::getcontext(&g_coroutine_context) != 0) std::abort();
  g_coroutine_context.uc_stack.ss_sp = stack;
  g_coroutine_context.uc_stack.ss_size = size;
  g_coroutine_context.uc_link = &g_thread_context;
  ::makecontext(&g_coroutine_context, coroutine_entry, 0);
  print_tid("coroutine");
  ::swapcontext(&g_thread_context, &g_coroutine_context);
  NO_TAIL_CALL();
  return nullptr;
}

// Deep recursion, 4 KiB of locals a frame.
KEEP_FRAME int recurse_large(long depth) {
  volatile char frame[4096];
  frame[0] = static_cast<char>(depth);
  if (depth == 0) {
    park_in_read();
  } else {
    recurse_large(depth - 1);
  }
  NO_TAIL_CALL();
  return frame[0];
}
KEEP_FRAME void* recursion_thread(void*) {
  print_tid("recursion");
  recurse_large(g_depth);
  NO_TAIL_CALL();
  return nullptr;
}

// Machine code copied into an anonymous mapping: no ELF file, no CFI. It
// keeps a frame pointer, so the walk can only continue by following rbp.
KEEP_FRAME void jit_callee() { park_in_read(); NO_TAIL_CALL(); }
KEEP_FRAME void jit_caller(void (*code)(void (*)())) { code(jit_callee); NO_TAIL_CALL(); }
KEEP_FRAME void* jit_thread(void*) {
  static const unsigned char kCode[] = {
      0x55,              // push %rbp
      0x48, 0x89, 0xe5,  // mov %rsp,%rbp
      0xff, 0xd7,        // call *%rdi
      0x5d,              // pop %rbp
      0xc3,              // ret
  };
  void* memory = ::mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) std::abort();
  std::memcpy(memory, kCode, sizeof kCode);
  if (::mprotect(memory, 4096, PROT_READ | PROT_EXEC) != 0) std::abort();
  std::printf("addr_jit %p\n", memory);
  print_tid("jit");
  jit_caller(reinterpret_cast<void (*)(void (*)())>(memory));
  NO_TAIL_CALL();
  return nullptr;
}

// Defined below in assembly, without CFI and with rbp cleared, so only the
// return address at sp leads back to the caller: read(fd, buffer, 1).
long read_without_cfi(int fd, void* buffer);
KEEP_FRAME void nocfi_caller() {
  char byte;
  g_parked.fetch_add(1);
  while (read_without_cfi(g_never_written[0], &byte) != 0) {
  }
  NO_TAIL_CALL();
}
KEEP_FRAME void* nocfi_thread(void*) {
  print_tid("nocfi");
  nocfi_caller();
  NO_TAIL_CALL();
  return nullptr;
}

// Defined below in assembly: overwrites its own return address with
// 0x4141414141414141, then parks.
void corrupt_return_and_park();
KEEP_FRAME void corrupt_caller() { corrupt_return_and_park(); NO_TAIL_CALL(); }
KEEP_FRAME void* corrupt_thread(void*) {
  print_tid("corrupt");
  corrupt_caller();
  NO_TAIL_CALL();
  return nullptr;
}

}  // extern "C"

asm(R"(
    .text
    .globl read_without_cfi
    .type read_without_cfi, @function
read_without_cfi:
    mov %rbp, %r8
    xor %ebp, %ebp
    mov $1, %edx
    xor %eax, %eax
    syscall
    mov %r8, %rbp
    ret
    .size read_without_cfi, .-read_without_cfi
)");

asm(R"(
    .text
    .globl corrupt_return_and_park
    .type corrupt_return_and_park, @function
corrupt_return_and_park:
    .cfi_startproc
    push %rbp
    .cfi_def_cfa_offset 16
    .cfi_offset %rbp, -16
    mov %rsp, %rbp
    .cfi_def_cfa_register %rbp
    movabs $0x4141414141414141, %rax
    mov %rax, 8(%rbp)
    call park_in_read
    ud2
    .cfi_endproc
    .size corrupt_return_and_park, .-corrupt_return_and_park
)");

namespace {

void start_thread(void* (*routine)(void*)) {
  pthread_attr_t attributes;
  pthread_attr_init(&attributes);
  // Room for the deep recursion: 4 KiB a frame.
  pthread_attr_setstacksize(&attributes, static_cast<std::size_t>(g_depth + 64) * 8192);
  pthread_t thread;
  if (pthread_create(&thread, &attributes, routine, nullptr) != 0) std::abort();
  pthread_attr_destroy(&attributes);
}

void wait_until(int parked) {
  while (g_parked.load() < parked) ::usleep(1000);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1) g_depth = std::atol(argv[1]);
  if (::pipe(g_never_written) != 0) return 1;
  struct sigaction action {};
  action.sa_handler = on_altstack_signal;
  action.sa_flags = SA_ONSTACK;
  sigemptyset(&action.sa_mask);
  if (::sigaction(SIGUSR2, &action, nullptr) != 0) return 1;

  start_thread(altstack_thread);
  start_thread(coroutine_thread);
  start_thread(recursion_thread);
  start_thread(jit_thread);
  start_thread(corrupt_thread);
  start_thread(nocfi_thread);
  wait_until(6);

  // The altstack thread is parked in read(); the handler interrupts it on
  // the alternate stack and parks again.
  if (::syscall(SYS_tgkill, ::getpid(), g_tid_altstack.load(), SIGUSR2) != 0) return 1;
  while (!g_in_handler.load()) ::usleep(1000);
  wait_until(7);

  std::printf("ready\n");
  std::fflush(stdout);
  for (;;) ::pause();
}
