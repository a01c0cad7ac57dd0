/* The program around line_gap.s, compiled by tests/symbolize_test.cpp
 * without -g and with -ffunction-sections, so that b_no_lines has no line
 * information and its section sorts between line_gap.s's two. Prints the
 * addresses of b_no_lines and c_with_lines, then parks. Not built by CMake:
 * the target glob takes only *.cpp. */
#include <stdio.h>
#include <unistd.h>

void a_with_lines(void);
void c_with_lines(void);

volatile int never;

__attribute__((noipa)) void b_no_lines(void) { pause(); }

int main(void) {
  if (never) a_with_lines();
  printf("no_lines_pc %p\nwith_lines_pc %p\nready\n", (void*)b_no_lines, (void*)c_with_lines);
  fflush(stdout);
  for (;;) pause();
}
