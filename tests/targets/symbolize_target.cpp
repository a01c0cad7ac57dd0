// Prints addresses whose symbols tests/symbolize_test.cpp checks, then parks:
//   template_pc, template_line: return address in a namespaced template and
//     the line of its call
//   inlined_pc, inlined_line: return address of a call inside an inlined
//     helper and the line of that call
//   inlined_call_line: the line where the helper is inlined into its caller
//   main_bias: load bias of the executable
//   libc_nanosleep: address of nanosleep in libc
#include <dlfcn.h>
#include <link.h>
#include <unistd.h>

#include <cstdio>

namespace {

volatile int sink;

int main_program_bias(dl_phdr_info* info, size_t, void* data) {
  *static_cast<ElfW(Addr)*>(data) = info->dlpi_addr;
  return 1;  // the first entry is the executable
}

}  // namespace

extern "C" __attribute__((noipa)) void print_return_address(const char* key, int line) {
  std::printf("%s_pc %p\n%s_line %d\n", key, __builtin_return_address(0), key, line);
  sink = line;
}

namespace stray_target {

template <typename T>
__attribute__((noipa)) T scaled(T value) {
  print_return_address("template", __LINE__);
  sink = 1;  // keeps the call above from becoming a tail call
  return value * 3;
}
template int scaled<int>(int);

__attribute__((always_inline)) inline void inlined_helper(int call_line) {
  print_return_address("inlined", __LINE__);
  std::printf("inlined_call_line %d\n", call_line);
}

__attribute__((noipa)) void caller_with_inlined_call() {
  inlined_helper(__LINE__);
  sink = 2;
}

}  // namespace stray_target

int main() {
  stray_target::scaled(sink + 2);
  stray_target::caller_with_inlined_call();

  ElfW(Addr) bias = 0;
  dl_iterate_phdr(main_program_bias, &bias);
  std::printf("main_bias %#lx\n", static_cast<unsigned long>(bias));
  std::printf("libc_nanosleep %p\n", dlsym(RTLD_DEFAULT, "nanosleep"));
  std::printf("ready\n");
  std::fflush(stdout);
  for (;;) pause();
}
