// Loads the shared library named by its argument with dlopen and parks a
// thread in its plugin_park(), blocked in read() on a pipe no one writes.
// The test then replaces the library file and deletes this executable.
// Prints "tid_plugin TID" and "ready" once the thread sleeps. Arguments:
// LIBRARY_PATH.
#include <dlfcn.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>

namespace {

std::atomic<long> g_tid{0};

char task_state(long tid) {
  std::ifstream stat("/proc/self/task/" + std::to_string(tid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  auto paren = text.rfind(')');
  return paren == std::string::npos || paren + 2 >= text.size() ? '?' : text[paren + 2];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  void* library = ::dlopen(argv[1], RTLD_NOW);
  if (library == nullptr) {
    std::printf("error %s\n", ::dlerror());
    return 1;
  }
  auto park = reinterpret_cast<void (*)(int)>(::dlsym(library, "plugin_park"));
  if (park == nullptr) return 1;
  static int never_written[2];
  if (::pipe(never_written) != 0) return 1;
  std::thread([park] {
    g_tid.store(::syscall(SYS_gettid));
    park(never_written[0]);
  }).detach();
  while (g_tid.load() == 0 || task_state(g_tid.load()) != 'S') ::usleep(1000);
  std::printf("tid_plugin %ld\n", g_tid.load());
  std::printf("ready\n");
  std::fflush(stdout);
  while (true) ::pause();
}
