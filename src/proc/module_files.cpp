#include "proc/module_files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstdio>

#include <spdlog/spdlog.h>

namespace stray {

namespace {

bool same_file(int fd, const Mapping& mapping) {
  struct stat info;
  if (::fstat(fd, &info) != 0) return false;
  return info.st_ino == mapping.inode && major(info.st_dev) == mapping.dev_major &&
         minor(info.st_dev) == mapping.dev_minor;
}

}  // namespace

ModuleFiles::~ModuleFiles() {
  for (auto& [key, fd] : fds_) {
    if (fd >= 0) ::close(fd);
  }
}

void ModuleFiles::open_all(const std::vector<Mapping>& mappings) {
  for (const Mapping& mapping : mappings) {
    if (mapping.file_backed()) fd_for(mapping);
  }
}

int ModuleFiles::fd_for(const Mapping& mapping) {
  if (!mapping.file_backed()) return -1;
  Key key{mapping.dev_major, mapping.dev_minor, mapping.inode};
  auto it = fds_.find(key);
  if (it != fds_.end()) return it->second;
  int fd = open_checked(mapping);
  fds_.emplace(key, fd);
  return fd;
}

int ModuleFiles::open_checked(const Mapping& mapping) const {
  // /proc/PID/map_files/START-END is the mapped inode itself, even after an
  // unlink or a rename over it. Opening it needs CAP_SYS_ADMIN (Linux 4.3
  // and later), so unprivileged runs fall through to the paths below.
  char name[96];
  std::snprintf(name, sizeof name, "/proc/%d/map_files/%llx-%llx", proc_tid_,
                static_cast<unsigned long long>(mapping.start),
                static_cast<unsigned long long>(mapping.end));
  const std::string candidates[] = {
      name,
      "/proc/" + std::to_string(proc_tid_) + "/root" + mapping.path,  // the target's mount namespace
      mapping.path,
  };
  for (const std::string& path : candidates) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    // On overlayfs the device in maps can differ from fstat's, but a
    // map_files link is the mapping's file by construction.
    if (&path == &candidates[0] || same_file(fd, mapping)) return fd;
    ::close(fd);
  }
  spdlog::warn("pid {}: no file with device {:x}:{:x} inode {} found for mapping {}", pid_,
               mapping.dev_major, mapping.dev_minor, mapping.inode, mapping.path);
  return -1;
}

}  // namespace stray
