// One ELF file (or memory image) reported to its own libdwfl session at its
// link-time addresses, so that one report serves every process that maps
// the file, wherever it is loaded.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <elfutils/libdwfl.h>

#include "stray/model.hpp"
#include "symbolize/debuginfo.hpp"
#include "symbolize/dwarf_names.hpp"
#include "symbolize/source_lookup.hpp"

namespace stray::symbolize {

struct LoadSegment {
  std::uint64_t offset = 0;     // p_offset
  std::uint64_t vaddr = 0;      // p_vaddr
  std::uint64_t file_size = 0;  // p_filesz
  bool executable = false;      // PF_X
};

class ElfModule {
 public:
  // Reports the ELF file open on `fd` under `name`. Takes ownership of `fd`
  // and closes it on failure. Returns null when libdwfl rejects the file.
  // `search` must outlive the module.
  static std::unique_ptr<ElfModule> report(int fd, const std::string& name, std::string build_id,
                                           const DebugSearch& search);
  ~ElfModule();
  ElfModule(const ElfModule&) = delete;
  ElfModule& operator=(const ElfModule&) = delete;

  const std::string& build_id() const { return build_id_; }

  // Load bias of this file in a process that maps it as `mapping`:
  // runtime address minus link-time address. Empty when the mapping covers
  // no PT_LOAD segment of the file.
  std::optional<std::uint64_t> load_bias(const Mapping& mapping) const;

  // Function levels at the link-time `address`, innermost first (see
  // describe_address). Results are cached per address; `cache_hit` is set
  // when this call was served from the cache.
  // Without `with_source`, only the symbol-table name (see describe_address);
  // a module is always asked the same way, so one cache serves both.
  const std::vector<SourceFrame>& describe(std::uint64_t address, bool with_source,
                                           bool& cache_hit);

 private:
  ElfModule(Dwfl* dwfl, Dwfl_Module* module, std::string build_id);

  Dwfl* dwfl_;
  Dwfl_Module* module_;
  std::string build_id_;
  std::vector<LoadSegment> segments_;
  std::unordered_map<std::uint64_t, std::vector<SourceFrame>> described_;
  DwarfIndexes indexes_;  // over the DWARF of dwfl_
};

}  // namespace stray::symbolize
