// Hostile strings from a target: threads whose names hold control
// characters, quotes, invalid UTF-8 and HTML, one thread parked in a
// function with a very long demangled name, and one in a function whose
// symbol name holds an escape sequence, quotes and invalid UTF-8. Every
// thread parks in read() on a pipe no one writes. Prints "threads N" and
// "ready".
#include <pthread.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>

namespace {

int g_never_written[2];
std::atomic<int> g_parked{0};

// Thread names are at most 15 bytes; each one carries one kind of hostility.
const char* const kNames[] = {
    "\x1b[31mred\x1b[0m",  // terminal escape sequence
    "line\nFORGED",        // a newline that would start a new report line
    "q\"uo'te\\",          // quotes and a backslash
    "bad\xff\xfeutf8",     // invalid UTF-8
    "<b>&amp;</b>",        // HTML
    "bell\a\b\r\t",        // other control bytes
    "\xe2\x80\xaeRTL",     // U+202E, right-to-left override
};

}  // namespace

#define KEEP_FRAME __attribute__((noipa))
#define NO_TAIL_CALL() asm volatile("" ::: "memory")

extern "C" KEEP_FRAME void park_in_read() {
  char byte;
  g_parked.fetch_add(1);
  while (::read(g_never_written[0], &byte, 1) != 0) {
  }
  NO_TAIL_CALL();
}

namespace hostile {

// Nesting a template in itself gives a demangled name of several KB.
template <typename T>
struct Wrapper_with_a_rather_long_name_to_make_the_symbol_grow_quickly {};
template <int N>
struct Nest {
  using Type = Wrapper_with_a_rather_long_name_to_make_the_symbol_grow_quickly<
      typename Nest<N - 1>::Type>;
};
template <>
struct Nest<0> {
  using Type = int;
};

template <typename T>
KEEP_FRAME void park_with_long_name(T) {
  park_in_read();
  NO_TAIL_CALL();
}

}  // namespace hostile

// Defined below in assembly under a symbol name with an ESC byte, a quote
// and invalid UTF-8, which no compiler would produce.
extern "C" void garbage_symbol_trampoline() asm("garbage_name");

asm(".text\n"
    // The name C++ can call: one nop that falls through into the function
    // with the hostile name, so it leaves no frame of its own.
    "garbage_name:\n"
    "  nop\n"
    ".globl \"garbage\x1b[2J\\\"name\xff\"\n"
    ".type \"garbage\x1b[2J\\\"name\xff\", @function\n"
    "\"garbage\x1b[2J\\\"name\xff\":\n"
    "  .cfi_startproc\n"
    "  sub $8, %rsp\n"
    "  .cfi_def_cfa_offset 16\n"
    "  call park_in_read\n"
    "  add $8, %rsp\n"
    "  .cfi_def_cfa_offset 8\n"
    "  ret\n"
    "  .cfi_endproc\n"
    ".size \"garbage\x1b[2J\\\"name\xff\", .-\"garbage\x1b[2J\\\"name\xff\"\n");

namespace {

void* named_thread(void* name) {
  pthread_setname_np(pthread_self(), static_cast<const char*>(name));
  park_in_read();
  return nullptr;
}

void* long_name_thread(void*) {
  pthread_setname_np(pthread_self(), "long_symbol");
  hostile::park_with_long_name(hostile::Nest<250>::Type{});
  return nullptr;
}

void* garbage_name_thread(void*) {
  pthread_setname_np(pthread_self(), "garbage_symbol");
  garbage_symbol_trampoline();
  return nullptr;
}

void start_thread(void* (*routine)(void*), void* argument) {
  pthread_t thread;
  if (pthread_create(&thread, nullptr, routine, argument) != 0) std::abort();
}

}  // namespace

int main() {
  if (::pipe(g_never_written) != 0) return 1;
  // The process name in every report comes from the main thread's.
  pthread_setname_np(pthread_self(), "lead\n\"name\\");
  int threads = 0;
  for (const char* name : kNames) {
    start_thread(named_thread, const_cast<char*>(name));
    ++threads;
  }
  start_thread(long_name_thread, nullptr);
  start_thread(garbage_name_thread, nullptr);
  threads += 2;
  while (g_parked.load() < threads) ::usleep(1000);
  std::printf("threads %d\n", threads);
  std::printf("ready\n");
  std::fflush(stdout);
  for (;;) ::pause();
}
