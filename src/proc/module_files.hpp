// Open file descriptors of the ELF files that back a process's mappings.
// Paths in /proc/PID/maps can lie: the file may have been deleted or
// replaced since it was mapped, or the process may live in another mount
// namespace. A file is therefore opened through /proc/PID/map_files (the
// mapped inode itself), else through /proc/PID/root/PATH, else PATH, and
// kept only when its device and inode match the mapping.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "stray/model.hpp"

namespace stray {

class ModuleFiles {
 public:
  explicit ModuleFiles(int pid) : pid_(pid) {}
  ~ModuleFiles();
  ModuleFiles(const ModuleFiles&) = delete;
  ModuleFiles& operator=(const ModuleFiles&) = delete;

  // Opens the file of every file-backed mapping now, while the process
  // still exists, so later stages work after it exits.
  void open_all(const std::vector<Mapping>& mappings);

  // Returns a read-only fd owned by this object for the file that backs
  // `mapping`, or -1 when no file with the mapping's device and inode can be
  // opened. Opens on first use.
  int fd_for(const Mapping& mapping);

  int pid() const { return pid_; }

  // Opens files through /proc/TID instead of /proc/PID, for a process whose
  // main thread has exited (see proc::find_memory_tid).
  void set_proc_tid(int tid) { proc_tid_ = tid; }

 private:
  using Key = std::tuple<std::uint32_t, std::uint32_t, std::uint64_t>;  // dev major, minor, inode
  int open_checked(const Mapping& mapping) const;

  int pid_;
  int proc_tid_ = pid_;
  std::map<Key, int> fds_;  // -1 remembers a failed open
};

}  // namespace stray
