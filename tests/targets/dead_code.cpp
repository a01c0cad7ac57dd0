// A target linked with --gc-sections that keeps a large unused function in
// its DWARF. The linker drops the function's code, and GNU ld resolves the
// addresses of its DWARF entries and line rows to 0, so they overlap _start,
// main and park in a position-independent executable. The main thread
// parks in park(); it prints "ready" first.
#include <unistd.h>

#include <cstdio>

volatile int g_sink;

#define STEP g_sink = g_sink * 3 + value;
#define STEP10 STEP STEP STEP STEP STEP STEP STEP STEP STEP STEP
#define STEP100 STEP10 STEP10 STEP10 STEP10 STEP10 STEP10 STEP10 STEP10 STEP10 STEP10

// Never called: several KiB of code, which --gc-sections removes.
__attribute__((noinline)) void unused_function(int value) {
  STEP100 STEP100 STEP100 STEP100 STEP100 STEP100 STEP100 STEP100  // unused code line
}

__attribute__((noinline)) void park() {
  std::printf("ready\n");
  std::fflush(stdout);
  for (;;) ::pause();  // dead_code parks here
}

int main() {
  park();
  return 0;
}
