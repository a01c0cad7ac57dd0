#include "proc/task_syscall.hpp"

#include <charconv>
#include <string>

#include "proc/proc.hpp"

namespace stray::proc {

std::optional<TaskSyscall> parse_task_syscall(std::string_view text) {
  TaskSyscall result;
  if (text.starts_with("running")) {
    result.running = true;
    return result;
  }
  long number = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (error != std::errc() || end == text.data()) return std::nullopt;
  if (end != text.data() + text.size() && *end != ' ' && *end != '\n') return std::nullopt;
  result.number = number;
  return result;
}

std::optional<TaskSyscall> try_read_task_syscall(int pid, int tid) {
  auto text = try_read_file("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) +
                            "/syscall");
  if (!text) return std::nullopt;
  return parse_task_syscall(*text);
}

}  // namespace stray::proc
