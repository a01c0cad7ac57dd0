// The target's memory as a snapshot preserved it, for the unwinder: each
// mapping resolved to where its bytes can be read (the module file on disk
// or a MemoryCopy) and, for code, to its module's unwind layout and load
// bias. Built once per snapshot; thread stacks are read separately.
#pragma once

#include <cstdint>
#include <deque>
#include <span>
#include <vector>

#include "stray/model.hpp"
#include "unwind/elf_unwind_table.hpp"

namespace stray {
class ModuleFiles;
}

namespace stray::unwind {

class ModuleCache;

struct Region {
  const Mapping* mapping = nullptr;
  // The readable bytes from mapping->start on. Shorter than the mapping when
  // the file ends inside it; empty when nothing was captured or mapped.
  std::span<const std::uint8_t> bytes;
  const ElfUnwindLayout* layout = nullptr;  // null when the module is unknown
  std::uint64_t load_bias = 0;              // valid when layout is set
};

class SnapshotMemory {
 public:
  // Opens the module files of `raw` through `files` and maps them through
  // `cache`; both must outlive this object.
  SnapshotMemory(const RawSnapshot& raw, ModuleFiles& files, ModuleCache& cache);

  // Returns the region whose mapping contains `address`, or nullptr.
  const Region* find(RemoteAddress address) const;

  // Reads the 8 bytes at `address` from a module file or a memory copy.
  // Returns false when any of them was not preserved.
  bool read_word(RemoteAddress address, std::uint64_t* value) const;

 private:
  Region resolve(const Mapping& mapping, const RawSnapshot& raw, ModuleFiles& files,
                 ModuleCache& cache);
  Region resolve_copy(const Mapping& mapping, const MemoryCopy& copy);

  std::vector<Region> regions_;  // sorted by mapping start
  std::deque<ElfUnwindLayout> copy_layouts_;  // layouts parsed from memory copies ([vdso])
  const std::vector<MemoryCopy>* memory_ = nullptr;
};

}  // namespace stray::unwind
