#include "unwind/module_cache.hpp"

#include <sys/mman.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

namespace stray::unwind {

ModuleImage::ModuleImage(const std::uint8_t* data, std::size_t size)
    : data_(data), size_(size), layout_(read_elf_unwind_layout(bytes())) {}

ModuleImage::~ModuleImage() {
  ::munmap(const_cast<std::uint8_t*>(data_), size_);
}

const ModuleImage* ModuleCache::image_for_fd(int fd) {
  struct stat status {};
  if (::fstat(fd, &status) != 0) {
    spdlog::warn("unwind: fstat of module fd {} failed: {}", fd, std::strerror(errno));
    return nullptr;
  }
  std::int64_t mtime_ns = std::int64_t{status.st_mtim.tv_sec} * 1'000'000'000 + status.st_mtim.tv_nsec;
  FileKey key{status.st_dev, status.st_ino, status.st_size, mtime_ns};
  if (auto found = images_.find(key); found != images_.end()) return found->second.get();

  std::unique_ptr<ModuleImage> image;
  if (status.st_size > 0) {
    auto size = static_cast<std::size_t>(status.st_size);
    void* data = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (data == MAP_FAILED) {
      spdlog::warn("unwind: mmap of module fd {} (inode {}, {} bytes) failed: {}", fd,
                   status.st_ino, size, std::strerror(errno));
    } else {
      image = std::make_unique<ModuleImage>(static_cast<const std::uint8_t*>(data), size);
    }
  }
  return images_.emplace(key, std::move(image)).first->second.get();
}

}  // namespace stray::unwind
