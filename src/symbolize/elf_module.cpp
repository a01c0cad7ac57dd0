#include "symbolize/elf_module.hpp"

#include <unistd.h>

#include <algorithm>

#include <gelf.h>
#include <spdlog/spdlog.h>

namespace stray::symbolize {

namespace {

// Every module is reported with an fd through dwfl_report_elf, so libdwfl
// never calls find_elf. The stub fills the slot in place of
// dwfl_build_id_find_elf, which can fall back to debuginfod.
int find_no_elf(Dwfl_Module*, void**, const char*, Dwarf_Addr, char**, Elf**) { return -1; }

const Dwfl_Callbacks callbacks = {
    .find_elf = find_no_elf,
    .find_debuginfo = find_debuginfo,
    .section_address = dwfl_offline_section_address,
    .debuginfo_path = nullptr,
};

std::vector<LoadSegment> read_load_segments(Dwfl_Module* module) {
  std::vector<LoadSegment> segments;
  GElf_Addr bias = 0;
  Elf* elf = dwfl_module_getelf(module, &bias);
  std::size_t count = 0;
  if (elf == nullptr || elf_getphdrnum(elf, &count) != 0) return segments;
  for (std::size_t i = 0; i < count; ++i) {
    GElf_Phdr header;
    if (gelf_getphdr(elf, static_cast<int>(i), &header) == nullptr) continue;
    if (header.p_type != PT_LOAD) continue;
    segments.push_back({header.p_offset, header.p_vaddr, header.p_filesz,
                        (header.p_flags & PF_X) != 0});
  }
  return segments;
}

bool overlaps(const LoadSegment& segment, const Mapping& mapping) {
  std::uint64_t mapping_size = mapping.end - mapping.start;
  std::uint64_t segment_end = segment.offset + std::max<std::uint64_t>(segment.file_size, 1);
  return segment.offset < mapping.offset + mapping_size && mapping.offset < segment_end;
}

}  // namespace

std::unique_ptr<ElfModule> ElfModule::report(int fd, const std::string& name,
                                             std::string build_id, const DebugSearch& search) {
  Dwfl* dwfl = dwfl_begin(&callbacks);
  if (dwfl == nullptr) {
    spdlog::error("dwfl_begin failed for {}: {}", name, dwfl_errmsg(-1));
    ::close(fd);
    return nullptr;
  }
  dwfl_report_begin(dwfl);
  // Base 0 with add_p_vaddr places the module at its link-time addresses
  // (load bias 0), for ET_DYN and ET_EXEC alike.
  Dwfl_Module* module = dwfl_report_elf(dwfl, name.c_str(), name.c_str(), fd, 0, true);
  if (module == nullptr) {
    spdlog::warn("dwfl_report_elf failed for {}: {}", name, dwfl_errmsg(-1));
    ::close(fd);  // consumed only on success
    dwfl_end(dwfl);
    return nullptr;
  }
  dwfl_report_end(dwfl, nullptr, nullptr);

  void** userdata = nullptr;
  dwfl_module_info(module, &userdata, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr);
  *userdata = const_cast<DebugSearch*>(&search);  // read back by find_debuginfo
  return std::unique_ptr<ElfModule>(new ElfModule(dwfl, module, std::move(build_id)));
}

ElfModule::ElfModule(Dwfl* dwfl, Dwfl_Module* module, std::string build_id)
    : dwfl_(dwfl), module_(module), build_id_(std::move(build_id)),
      segments_(read_load_segments(module)) {}

ElfModule::~ElfModule() { dwfl_end(dwfl_); }

std::optional<std::uint64_t> ElfModule::load_bias(const Mapping& mapping) const {
  // Segments can share a file page, so a mapping may overlap two of them.
  // The mapped one is the one whose PF_X matches the mapping's permission.
  const LoadSegment* chosen = nullptr;
  for (const LoadSegment& segment : segments_) {
    if (!overlaps(segment, mapping)) continue;
    if (chosen == nullptr) chosen = &segment;
    if (segment.executable == mapping.executable()) {
      chosen = &segment;
      break;
    }
  }
  if (chosen == nullptr) return std::nullopt;
  // File offset p_offset sits at runtime address bias + p_vaddr. The
  // arithmetic is modulo 2^64, which also covers a mapping that starts
  // inside the segment (p_offset < mapping.offset).
  std::uint64_t runtime_address = mapping.start + (chosen->offset - mapping.offset);
  return runtime_address - chosen->vaddr;
}

const std::vector<SourceFrame>& ElfModule::describe(std::uint64_t address, bool with_source,
                                                    bool& cache_hit) {
  auto found = described_.find(address);
  cache_hit = found != described_.end();
  if (cache_hit) return found->second;
  return described_.emplace(address, describe_address(module_, address, with_source, indexes_))
      .first->second;
}

}  // namespace stray::symbolize
