#include "run/task_status.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proc/proc.hpp"
#include "stray/error.hpp"

namespace stray::run {

namespace {

std::optional<std::uint64_t> parse_number(std::string_view text, int base) {
  std::uint64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (error != std::errc{} || end == text.data()) return std::nullopt;
  return value;
}

}  // namespace

std::optional<int> thread_group_of(int tid) {
  auto status = proc::try_read_file("/proc/" + std::to_string(tid) + "/status");
  if (!status) return std::nullopt;
  auto tgid = parse_number(proc::status_field(*status, "Tgid"), 10);
  if (!tgid) return std::nullopt;
  return static_cast<int>(*tgid);
}

bool is_thread_of(int pid, int tid) {
  return ::syscall(SYS_tgkill, pid, tid, 0) == 0;
}

bool is_blocked_by(int pid, int tid, int signal) {
  if (signal < 1 || signal > 64) return false;
  auto status = proc::try_read_file("/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/status");
  if (!status) return false;
  auto blocked = parse_number(proc::status_field(*status, "SigBlk"), 16);
  return blocked && (*blocked & (std::uint64_t{1} << (signal - 1))) != 0;
}

bool is_blocked_by_every_thread(int pid, int signal) {
  std::vector<int> tids;
  try {
    tids = proc::read_tids(pid);
  } catch (const Error&) {
    return false;
  }
  if (tids.empty()) return false;
  for (int tid : tids) {
    if (!is_blocked_by(pid, tid, signal)) return false;
  }
  return true;
}

bool has_default_action(int pid, int signal) {
  auto status = proc::try_read_file("/proc/" + std::to_string(pid) + "/status");
  if (!status || signal < 1 || signal > 64) return false;
  auto caught = parse_number(proc::status_field(*status, "SigCgt"), 16);
  auto ignored = parse_number(proc::status_field(*status, "SigIgn"), 16);
  if (!caught || !ignored) return false;
  std::uint64_t bit = std::uint64_t{1} << (signal - 1);
  return ((*caught | *ignored) & bit) == 0;
}

}  // namespace stray::run
