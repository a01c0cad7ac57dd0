// Rules for threads that the C library and common runtimes start on their
// own, so that a program using them is not reported for threads it never
// created. docs/rules.md lists them with the reason for each.
#include <array>
#include <string_view>

#include "stray/rules.hpp"

namespace stray {

namespace {

struct BuiltinRule {
  std::string_view name;
  std::string_view text;
};

constexpr std::array<BuiltinRule, 8> kBuiltinRules = {{
    // glibc 2.34+ starts one helper thread for all SIGEV_THREAD timers at
    // the first timer_create and keeps it. The function is static, so it
    // is named only when libc's debug symbols are found.
    {"glibc-timer-helper", "any:timer_helper_thread"},
    // The POSIX AIO helpers of glibc stay idle for a while after their last
    // request (aio_init's aio_idle_time, 1 s by default).
    {"glibc-aio", "any:handle_fildes_io"},
    // io_uring workers and SQPOLL threads are kernel threads in the
    // process's thread group (Linux 5.12+), started by the kernel.
    {"io-uring-worker", "name:iou-wrk-*"},
    {"io-uring-sqpoll", "name:iou-sqp-*"},
    // GNU OpenMP keeps its pool after a parallel region; idle workers wait
    // on a raw futex inside libgomp.
    {"openmp-idle", "module:libgomp.so* class:futex"},
    {"jemalloc-background", "module:libjemalloc.so*"},
    // GLib's global main-context worker and GDBus's shared connection thread.
    {"glib-main", "module:libglib-2.0.so* name:gmain"},
    {"glib-dbus", "module:libglib-2.0.so* name:gdbus"},
}};

std::vector<Rule> parse_builtin_rules() {
  std::vector<Rule> rules;
  for (const BuiltinRule& builtin : kBuiltinRules) {
    std::vector<Rule> parsed = parse_rules(builtin.text, "builtin");
    parsed.front().origin = "builtin:" + std::string(builtin.name);
    rules.push_back(std::move(parsed.front()));
  }
  return rules;
}

}  // namespace

const std::vector<Rule>& builtin_rules() {
  static const std::vector<Rule> rules = parse_builtin_rules();
  return rules;
}

}  // namespace stray
