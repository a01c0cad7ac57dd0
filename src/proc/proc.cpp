#include "proc/proc.hpp"

#include <dirent.h>
#include <signal.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>

#include "stray/error.hpp"

namespace stray::proc {

namespace {

std::string pid_path(int pid, const char* leaf) {
  return "/proc/" + std::to_string(pid) + "/" + leaf;
}

std::string task_path(int pid, int tid, const char* leaf) {
  return "/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid) + "/" + leaf;
}

[[noreturn]] void throw_open_failure(int pid, const std::string& path, int error) {
  if (error == ENOENT || error == ESRCH) {
    throw Error(ErrorKind::no_such_process, "pid " + std::to_string(pid) + ": no such process");
  }
  if (error == EACCES || error == EPERM) {
    throw Error(ErrorKind::permission_denied,
                "pid " + std::to_string(pid) + ": cannot read " + path + ": " + std::strerror(error));
  }
  throw Error(ErrorKind::system, "pid " + std::to_string(pid) + ": cannot read " + path + ": " +
                                     std::strerror(error));
}

// Reads a whole file; returns the errno on failure. /proc files report a
// size of 0, so this reads until end of file.
int read_whole(const std::string& path, std::string& text) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  text.clear();
  char buffer[8192];
  while (true) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int error = errno;
      ::close(fd);
      return error;
    }
    if (n == 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return 0;
}

template <typename Number>
bool parse_number(std::string_view text, Number& value, int base = 10) {
  auto result = std::from_chars(text.data(), text.data() + text.size(), value, base);
  return result.ec == std::errc() && result.ptr == text.data() + text.size();
}

// Splits off the next space-separated field of `rest`.
std::string_view next_field(std::string_view& rest) {
  auto begin = rest.find_first_not_of(' ');
  if (begin == std::string_view::npos) {
    rest = {};
    return {};
  }
  rest.remove_prefix(begin);
  auto end = rest.find(' ');
  std::string_view field = rest.substr(0, end);
  rest.remove_prefix(end == std::string_view::npos ? rest.size() : end);
  return field;
}

std::optional<Mapping> parse_maps_line(std::string_view line) {
  Mapping mapping;
  std::string_view rest = line;
  std::string_view range = next_field(rest);
  std::string_view perms = next_field(rest);
  std::string_view offset = next_field(rest);
  std::string_view device = next_field(rest);
  std::string_view inode = next_field(rest);
  auto dash = range.find('-');
  auto colon = device.find(':');
  if (dash == std::string_view::npos || colon == std::string_view::npos) return std::nullopt;
  if (!parse_number(range.substr(0, dash), mapping.start, 16) ||
      !parse_number(range.substr(dash + 1), mapping.end, 16) ||
      !parse_number(offset, mapping.offset, 16) ||
      !parse_number(device.substr(0, colon), mapping.dev_major, 16) ||
      !parse_number(device.substr(colon + 1), mapping.dev_minor, 16) ||
      !parse_number(inode, mapping.inode)) {
    return std::nullopt;
  }
  mapping.perms = std::string(perms);
  // The path is the rest of the line after the padding; it may contain
  // spaces. The kernel appends " (deleted)" to an unlinked file's path.
  auto path_begin = rest.find_first_not_of(' ');
  if (path_begin != std::string_view::npos) {
    std::string_view path = rest.substr(path_begin);
    constexpr std::string_view kDeleted = " (deleted)";
    if (path.size() > kDeleted.size() && path.ends_with(kDeleted)) {
      path.remove_suffix(kDeleted.size());
      mapping.deleted = true;
    }
    mapping.path = std::string(path);
  }
  return mapping;
}

}  // namespace

bool process_exists(int pid) {
  struct stat info;
  return pid > 0 && ::stat(("/proc/" + std::to_string(pid)).c_str(), &info) == 0;
}

std::vector<int> read_tids(int pid) {
  std::string path = pid_path(pid, "task");
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) throw_open_failure(pid, path, errno);
  std::vector<int> tids;
  while (dirent* entry = ::readdir(dir)) {
    int tid = 0;
    if (parse_number(std::string_view(entry->d_name), tid) && tid > 0) tids.push_back(tid);
  }
  ::closedir(dir);
  std::sort(tids.begin(), tids.end());
  return tids;
}

std::optional<TaskStat> parse_stat(std::string_view text) {
  auto open_paren = text.find('(');
  auto paren = text.rfind(')');
  if (open_paren == std::string_view::npos || paren == std::string_view::npos ||
      paren < open_paren) {
    return std::nullopt;
  }
  std::string_view rest = text.substr(paren + 1);
  // Fields counted from 1 as in proc(5): 3 is the state, 4 ppid, 9 flags,
  // 22 the start time.
  TaskStat stat;
  stat.comm = text.substr(open_paren + 1, paren - open_paren - 1);
  for (int field = 3; field <= 22; ++field) {
    std::string_view value = next_field(rest);
    if (value.empty()) return std::nullopt;
    bool ok = true;
    if (field == 3) stat.state = value[0];
    if (field == 4) ok = parse_number(value, stat.ppid);
    if (field == 9) ok = parse_number(value, stat.flags);
    if (field == 22) ok = parse_number(value, stat.start_time);
    if (!ok) return std::nullopt;
  }
  return stat;
}

std::optional<TaskStat> try_read_task_stat(int pid, int tid) {
  std::string text;
  if (read_whole(task_path(pid, tid, "stat"), text) != 0) return std::nullopt;
  return parse_stat(text);
}

std::optional<std::string> try_read_task_comm(int pid, int tid) {
  std::string text;
  if (read_whole(task_path(pid, tid, "comm"), text) != 0) return std::nullopt;
  if (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

ProcessStatus read_status(int pid) {
  std::string path = pid_path(pid, "status");
  std::string text;
  if (int error = read_whole(path, text); error != 0) throw_open_failure(pid, path, error);
  ProcessStatus status;
  std::string_view rest = text;
  while (!rest.empty()) {
    auto end = rest.find('\n');
    std::string_view line = rest.substr(0, end);
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
    auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view key = line.substr(0, colon);
    std::string_view value = line.substr(colon + 1);
    value.remove_prefix(std::min(value.find_first_not_of(" \t"), value.size()));
    if (key == "Name") status.name = std::string(value);
    if (key == "Tgid") parse_number(value, status.tgid);
    if (key == "TracerPid") parse_number(value, status.tracer_pid);
    if (key == "Uid") parse_number(value.substr(0, value.find_first_of(" \t")), status.uid);
  }
  return status;
}

namespace {

// True when `predicate(tid)` is true for every listed thread of `pid`, and
// when the process is gone.
template <typename Predicate>
bool every_task_satisfies(int pid, Predicate predicate) {
  std::vector<int> tids;
  try {
    tids = read_tids(pid);
  } catch (const Error&) {
    return true;
  }
  return std::all_of(tids.begin(), tids.end(), predicate);
}

}  // namespace

bool only_zombies_left(int pid) {
  return every_task_satisfies(pid, [pid](int tid) {
    auto stat = try_read_task_stat(pid, tid);
    return !stat || stat->state == 'Z' || stat->state == 'X';
  });
}

std::string_view status_field(std::string_view status, std::string_view key) {
  std::size_t at = 0;
  while (at < status.size()) {
    std::size_t end = status.find('\n', at);
    if (end == std::string_view::npos) end = status.size();
    std::string_view line = status.substr(at, end - at);
    if (line.size() > key.size() && line.substr(0, key.size()) == key && line[key.size()] == ':') {
      std::string_view value = line.substr(key.size() + 1);
      std::size_t first = value.find_first_not_of(" \t");
      return first == std::string_view::npos ? std::string_view{} : value.substr(first);
    }
    at = end + 1;
  }
  return {};
}

namespace {

// PF_EXITING in the kernel's include/linux/sched.h (0x4 in Linux 6.x):
// set by do_exit before the thread releases anything.
constexpr unsigned kExitingFlag = 0x00000004;

bool has_sigkill_pending(int pid, int tid) {
  std::string text;
  if (read_whole(task_path(pid, tid, "status"), text) != 0) return true;  // gone meanwhile
  std::string_view pending = status_field(text, "SigPnd");
  std::uint64_t mask = 0;
  auto [end, error] = std::from_chars(pending.data(), pending.data() + pending.size(), mask, 16);
  if (error != std::errc{} || end == pending.data()) return false;
  return (mask & (std::uint64_t{1} << (SIGKILL - 1))) != 0;
}

}  // namespace

bool is_task_ending(int pid, int tid) {
  auto stat = try_read_task_stat(pid, tid);
  if (!stat || stat->state == 'Z' || stat->state == 'X' || (stat->flags & kExitingFlag) != 0) return true;
  return has_sigkill_pending(pid, tid);
}

bool is_ending(int pid) {
  return every_task_satisfies(pid, [pid](int tid) { return is_task_ending(pid, tid); });
}

int find_memory_tid(int pid) {
  auto leader = try_read_task_stat(pid, pid);
  if (!leader || leader->state != 'Z') return pid;
  std::vector<int> tids;
  try {
    tids = read_tids(pid);
  } catch (const Error&) {
    return pid;
  }
  for (int tid : tids) {
    if (tid == pid) continue;
    auto stat = try_read_task_stat(pid, tid);
    if (stat && stat->state != 'Z' && stat->state != 'X') return tid;
  }
  return pid;
}

std::vector<Mapping> parse_maps(std::string_view text) {
  std::vector<Mapping> mappings;
  while (!text.empty()) {
    auto end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    if (auto mapping = parse_maps_line(line)) mappings.push_back(std::move(*mapping));
  }
  return mappings;
}

std::vector<Mapping> read_maps(int pid) {
  std::string path = pid_path(pid, "maps");
  std::string text;
  if (int error = read_whole(path, text); error != 0) throw_open_failure(pid, path, error);
  return parse_maps(text);
}

std::string read_exe(int pid) {
  char buffer[4096];
  ssize_t n = ::readlink(pid_path(pid, "exe").c_str(), buffer, sizeof buffer);
  if (n <= 0) return {};
  return std::string(buffer, static_cast<std::size_t>(n));
}

std::optional<std::string> try_read_fd_link(int pid, int fd) {
  char buffer[4096];
  std::string path = "/proc/" + std::to_string(pid) + "/fd/" + std::to_string(fd);
  ssize_t n = ::readlink(path.c_str(), buffer, sizeof buffer);
  if (n < 0) return std::nullopt;
  return std::string(buffer, static_cast<std::size_t>(n));
}

std::optional<std::string> try_read_file(const std::string& path) {
  std::string text;
  if (read_whole(path, text) != 0) return std::nullopt;
  return text;
}

}  // namespace stray::proc
