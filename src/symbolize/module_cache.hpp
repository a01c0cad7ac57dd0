// ELF modules shared by every snapshot a Symbolizer symbolizes: one per build-id,
// or per file identity (device, inode, size, mtime) for files without one.
#pragma once

#include <compare>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "stray/model.hpp"
#include "symbolize/build_id.hpp"
#include "symbolize/debuginfo.hpp"
#include "symbolize/elf_module.hpp"

namespace stray {
class ModuleFiles;
}

namespace stray::symbolize {

class ModuleCache {
 public:
  // `search` must outlive the cache.
  explicit ModuleCache(const DebugSearch& search) : search_(search) {}

  // Module of the file behind `mapping`. Null when no file with the
  // mapping's device and inode opens, or the file is not ELF, or libdwfl
  // rejects it.
  ElfModule* file_module(const Mapping& mapping, ModuleFiles& files);

  // Module of an ELF image copied from the target's memory, such as the
  // [vdso]; null when the image is not ELF.
  ElfModule* memory_module(const MemoryCopy& copy, const std::string& name);

  // Hex build-id of the file behind `mapping`, empty when unknown.
  std::string file_build_id(const Mapping& mapping, ModuleFiles& files);

  std::size_t modules_opened() const { return modules_opened_; }

 private:
  struct FileKey {
    std::uint64_t device = 0;
    std::uint64_t inode = 0;
    std::int64_t size = 0;
    std::int64_t mtime_ns = 0;
    auto operator<=>(const FileKey&) const = default;
  };
  struct OpenFile {
    int fd = -1;  // owned by ModuleFiles
    FileKey key;
    const ElfIdentity* identity = nullptr;
  };

  std::optional<OpenFile> open_file(const Mapping& mapping, ModuleFiles& files);
  // Reports the file open on `fd` (consumed) and caches the result, null
  // included, under `cache_key`.
  ElfModule* report_and_cache(const std::string& cache_key, int fd, const std::string& name,
                            const std::string& build_id);

  const DebugSearch& search_;
  // An identity is read once per file version; keyed so that a file
  // replaced on disk (new inode, size or mtime) is read again.
  std::map<FileKey, ElfIdentity> identities_;
  // A null module remembers a file libdwfl rejected.
  std::map<std::string, std::unique_ptr<ElfModule>> modules_;
  std::size_t modules_opened_ = 0;
};

}  // namespace stray::symbolize
