// Floor probe: the minimum work of a coherent freeze, done directly, so the
// benchmark can compare stray's freeze window with what the kernel allows
// on the same machine at the same moment. For every thread of PID:
// PTRACE_SEIZE and PTRACE_INTERRUPT, then wait for every stop, read the
// registers, copy the live stack [sp - 128, end of its mapping) with
// process_vm_readv, then PTRACE_DETACH every thread.
//
// Prints "threads N", "bytes_copied B" and "freeze_ns NANOSECONDS", the
// time from listing the threads to the last detach. Exits 1 on any failure
// other than a thread exiting during the probe.
#include <dirent.h>
#include <elf.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

constexpr std::uint64_t kRedZone = 128;

struct Range {
  std::uint64_t start;
  std::uint64_t end;
};

// Reads the maps before the freeze, as stray does, because they change
// rarely and reading them is not part of the minimum stop.
std::vector<Range> read_ranges(int pid) {
  std::vector<Range> ranges;
  std::string path = "/proc/" + std::to_string(pid) + "/maps";
  FILE* maps = std::fopen(path.c_str(), "r");
  if (maps == nullptr) return ranges;
  char line[4096];
  while (std::fgets(line, sizeof line, maps) != nullptr) {
    Range range;
    if (std::sscanf(line, "%" SCNx64 "-%" SCNx64, &range.start, &range.end) == 2) {
      ranges.push_back(range);
    }
  }
  std::fclose(maps);
  return ranges;
}

std::vector<int> read_tids(int pid) {
  std::vector<int> tids;
  std::string path = "/proc/" + std::to_string(pid) + "/task";
  DIR* directory = ::opendir(path.c_str());
  if (directory == nullptr) return tids;
  while (dirent* entry = ::readdir(directory)) {
    if (entry->d_name[0] != '.') tids.push_back(std::atoi(entry->d_name));
  }
  ::closedir(directory);
  return tids;
}

const Range* find_range(const std::vector<Range>& ranges, std::uint64_t address) {
  for (const Range& range : ranges) {
    if (address >= range.start && address < range.end) return &range;
  }
  return nullptr;
}

// Returns the number of bytes copied from the thread's stack, or -1.
long copy_live_stack(int pid, int tid, const std::vector<Range>& ranges,
                     std::vector<std::uint8_t>& buffer) {
  user_regs_struct registers;
  iovec register_buffer{&registers, sizeof registers};
  if (::ptrace(PTRACE_GETREGSET, tid, reinterpret_cast<void*>(NT_PRSTATUS), &register_buffer) != 0) {
    std::fprintf(stderr, "floor probe: tid %d: PTRACE_GETREGSET failed: %s\n", tid,
                 std::strerror(errno));
    return -1;
  }
  const Range* stack = find_range(ranges, registers.rsp);
  if (stack == nullptr) return 0;
  std::uint64_t begin = std::max<std::uint64_t>(stack->start, registers.rsp - kRedZone);
  std::size_t size = stack->end - begin;
  if (buffer.size() < size) buffer.resize(size);
  iovec local{buffer.data(), size};
  iovec remote{reinterpret_cast<void*>(begin), size};
  ssize_t copied = ::process_vm_readv(pid, &local, 1, &remote, 1, 0);
  return copied < 0 ? 0 : copied;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 || std::atoi(argv[1]) <= 0) {
    std::fprintf(stderr, "usage: %s PID\n", argv[0]);
    return 2;
  }
  int pid = std::atoi(argv[1]);
  std::vector<Range> ranges = read_ranges(pid);
  std::vector<std::uint8_t> buffer;
  bool failed = false;
  long bytes_copied = 0;

  auto started = std::chrono::steady_clock::now();
  std::vector<int> seized;
  for (int tid : read_tids(pid)) {
    if (::ptrace(PTRACE_SEIZE, tid, nullptr, nullptr) != 0) {
      if (errno == ESRCH) continue;  // the thread exited after it was listed
      std::fprintf(stderr, "floor probe: tid %d: PTRACE_SEIZE failed: %s\n", tid,
                   std::strerror(errno));
      failed = true;
      continue;
    }
    ::ptrace(PTRACE_INTERRUPT, tid, nullptr, nullptr);
    seized.push_back(tid);
  }
  for (int tid : seized) {
    int status = 0;
    while (::waitpid(tid, &status, __WALL) < 0 && errno == EINTR) {
    }
  }
  for (int tid : seized) {
    long copied = copy_live_stack(pid, tid, ranges, buffer);
    if (copied < 0) failed = true;
    bytes_copied += std::max(copied, 0L);
  }
  for (int tid : seized) ::ptrace(PTRACE_DETACH, tid, nullptr, nullptr);
  auto freeze = std::chrono::steady_clock::now() - started;

  std::printf("threads %zu\nbytes_copied %ld\nfreeze_ns %lld\n", seized.size(), bytes_copied,
              static_cast<long long>(std::chrono::nanoseconds(freeze).count()));
  return failed || seized.empty() ? 1 : 0;
}
