#include "symbolize/module_cache.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

#include "proc/module_files.hpp"

namespace stray::symbolize {

namespace {

// 64-bit FNV-1a, to key an image that has no build-id by its contents.
std::uint64_t fnv1a(const std::vector<std::uint8_t>& bytes) {
  std::uint64_t hash = 0xcbf29ce484222325ull;
  for (std::uint8_t byte : bytes) {
    hash ^= byte;
    hash *= 0x100000001b3ull;
  }
  return hash;
}

// libdwfl reports files by fd only, so a memory image goes through a memfd.
int memfd_with(const std::vector<std::uint8_t>& bytes, const std::string& name) {
  int fd = ::memfd_create("stray-elf-image", MFD_CLOEXEC);
  if (fd < 0) {
    spdlog::error("memfd_create failed for {}: {}", name, std::strerror(errno));
    return -1;
  }
  std::size_t written = 0;
  while (written < bytes.size()) {
    ssize_t count = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (count < 0 && errno == EINTR) continue;
    if (count <= 0) {
      spdlog::error("write to memfd failed for {}: {}", name, std::strerror(errno));
      ::close(fd);
      return -1;
    }
    written += static_cast<std::size_t>(count);
  }
  return fd;
}

}  // namespace

std::optional<ModuleCache::OpenFile> ModuleCache::open_file(const Mapping& mapping,
                                                            ModuleFiles& files) {
  int fd = files.fd_for(mapping);
  if (fd < 0) return std::nullopt;
  struct stat info;
  if (::fstat(fd, &info) != 0) {
    spdlog::warn("pid {}: fstat failed for {}: {}", files.pid(), mapping.path,
                 std::strerror(errno));
    return std::nullopt;
  }
  FileKey key{info.st_dev, info.st_ino, info.st_size,
              info.st_mtim.tv_sec * 1'000'000'000LL + info.st_mtim.tv_nsec};
  auto found = identities_.find(key);
  if (found == identities_.end()) found = identities_.emplace(key, read_elf_identity(fd)).first;
  return OpenFile{fd, key, &found->second};
}

ElfModule* ModuleCache::file_module(const Mapping& mapping, ModuleFiles& files) {
  std::optional<OpenFile> file = open_file(mapping, files);
  if (!file || !file->identity->is_elf) return nullptr;

  const std::string& build_id = file->identity->build_id;
  std::string cache_key = !build_id.empty()
                              ? "build-id:" + build_id
                              : "file:" + std::to_string(file->key.device) + ":" +
                                    std::to_string(file->key.inode) + ":" +
                                    std::to_string(file->key.size) + ":" +
                                    std::to_string(file->key.mtime_ns);
  if (auto cached = modules_.find(cache_key); cached != modules_.end())
    return cached->second.get();

  int own_fd = ::fcntl(file->fd, F_DUPFD_CLOEXEC, 0);
  if (own_fd < 0) {
    spdlog::error("pid {}: dup of the fd of {} failed: {}", files.pid(), mapping.path,
                  std::strerror(errno));
    return nullptr;
  }
  return report_and_cache(cache_key, own_fd, mapping.path, build_id);
}

ElfModule* ModuleCache::memory_module(const MemoryCopy& copy, const std::string& name) {
  ElfIdentity identity = read_elf_identity(copy.bytes.data(), copy.bytes.size());
  if (!identity.is_elf) return nullptr;

  std::string cache_key = !identity.build_id.empty()
                              ? "build-id:" + identity.build_id
                              : "image:" + std::to_string(copy.bytes.size()) + ":" +
                                    std::to_string(fnv1a(copy.bytes));
  if (auto cached = modules_.find(cache_key); cached != modules_.end())
    return cached->second.get();

  int fd = memfd_with(copy.bytes, name);
  if (fd < 0) return nullptr;
  return report_and_cache(cache_key, fd, name, identity.build_id);
}

std::string ModuleCache::file_build_id(const Mapping& mapping, ModuleFiles& files) {
  std::optional<OpenFile> file = open_file(mapping, files);
  return file ? file->identity->build_id : std::string();
}

ElfModule* ModuleCache::report_and_cache(const std::string& cache_key, int fd,
                                       const std::string& name, const std::string& build_id) {
  std::unique_ptr<ElfModule> module = ElfModule::report(fd, name, build_id, search_);
  if (module) ++modules_opened_;
  spdlog::debug("symbols: opened module {} (build-id {})", name, build_id.empty() ? "none" : build_id);
  ElfModule* result = module.get();
  modules_.emplace(cache_key, std::move(module));
  return result;
}

}  // namespace stray::symbolize
