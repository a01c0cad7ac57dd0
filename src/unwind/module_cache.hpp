// Read-only mmaps of module files and their unwind layouts, kept across
// snapshots. A file is identified by device, inode, size and modification
// time, so a second snapshot of the same process reuses the mapping, and a
// file replaced on disk under the same path is mapped again.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <tuple>

#include "unwind/elf_unwind_table.hpp"

namespace stray::unwind {

// A whole module file mapped with PROT_READ; unmapped on destruction.
class ModuleImage {
 public:
  ModuleImage(const std::uint8_t* data, std::size_t size);
  ~ModuleImage();
  ModuleImage(const ModuleImage&) = delete;
  ModuleImage& operator=(const ModuleImage&) = delete;

  std::span<const std::uint8_t> bytes() const { return {data_, size_}; }
  // nullopt when the file is not a 64-bit ELF file.
  const std::optional<ElfUnwindLayout>& layout() const { return layout_; }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::optional<ElfUnwindLayout> layout_;
};

class ModuleCache {
 public:
  // Returns the image of the file open at `fd`, mapping it on first use, or
  // nullptr when the file cannot be mapped. The fd stays owned by the
  // caller and may be closed afterwards.
  const ModuleImage* image_for_fd(int fd);

  std::size_t size() const { return images_.size(); }

 private:
  // st_dev, st_ino, st_size, st_mtim in nanoseconds
  using FileKey = std::tuple<dev_t, ino_t, off_t, std::int64_t>;
  std::map<FileKey, std::unique_ptr<ModuleImage>> images_;  // nullptr remembers a failure
};

}  // namespace stray::unwind
