/* A shared library for robust_plugin_host, compiled by the test itself
 * (tests/robust_binary_test.cpp) in two variants with the same code and
 * layout. Variant 2 names every function impostor_*, so a stack symbolized
 * from the wrong file shows those names. Not built by CMake: the target
 * glob takes only *.cpp. */
#include <unistd.h>

#if PLUGIN_VARIANT == 2
#define PLUGIN_NAME(name) impostor_##name
#else
#define PLUGIN_NAME(name) name
#endif

#define KEEP_FRAME __attribute__((noipa))

KEEP_FRAME void PLUGIN_NAME(plugin_read)(int fd) {
  char byte;
  while (read(fd, &byte, 1) != 0) {
  }
  __asm__ volatile("" ::: "memory");
}

KEEP_FRAME void PLUGIN_NAME(plugin_park)(int fd) {
  PLUGIN_NAME(plugin_read)(fd);
  __asm__ volatile("" ::: "memory");
}
