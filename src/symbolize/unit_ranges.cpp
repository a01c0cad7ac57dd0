#include "symbolize/unit_ranges.hpp"

#include <dwarf.h>
#include <gelf.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace stray::symbolize {

void UnitRanges::read_code_sections(Dwfl_Module* module) {
  if (code_read_) return;
  code_read_ = true;
  if (dwfl_module_getdwarf(module, &bias_) == nullptr) return;
  Dwarf_Addr elf_bias = 0;
  Elf* elf = dwfl_module_getelf(module, &elf_bias);
  if (elf == nullptr) return;
  for (Elf_Scn* section = elf_nextscn(elf, nullptr); section != nullptr; section = elf_nextscn(elf, section)) {
    GElf_Shdr header;
    if (gelf_getshdr(section, &header) == nullptr) continue;
    if ((header.sh_flags & SHF_EXECINSTR) == 0 || (header.sh_flags & SHF_ALLOC) == 0 || header.sh_size == 0) continue;
    // From the ELF file's address space to the DWARF's.
    const Dwarf_Addr start = header.sh_addr + elf_bias - bias_;
    code_.emplace_back(start, start + header.sh_size);
  }
}

bool UnitRanges::is_code(Dwarf_Addr relative) const {
  if (code_.empty()) return true;
  return std::any_of(code_.begin(), code_.end(),
                     [&](const auto& section) { return relative >= section.first && relative < section.second; });
}

bool UnitRanges::overlaps_removed_code(Dwfl_Module* module, Dwarf_Die* unit, Dwarf_Addr relative) {
  // Only the sections are needed here: libdwfl found the unit itself, or
  // find() built the index already.
  read_code_sections(module);
  Dwarf_Addr base = 0;
  Dwarf_Addr start = 0;
  Dwarf_Addr end = 0;
  ptrdiff_t offset = 0;
  while ((offset = dwarf_ranges(unit, offset, &base, &start, &end)) > 0) {
    if (relative >= start && relative < end && !is_code(start)) return true;
  }
  return false;
}

void UnitRanges::build(Dwfl_Module* module) {
  built_ = true;
  read_code_sections(module);
  Dwarf* dwarf = dwfl_module_getdwarf(module, &bias_);
  if (dwarf == nullptr) return;

  Dwarf_CU* unit = nullptr;
  Dwarf_CU* next = nullptr;
  Dwarf_Half version = 0;
  std::uint8_t unit_type = 0;
  Dwarf_Die unit_die;
  Dwarf_Die split_die;
  while (true) {
    std::memset(&split_die, 0, sizeof split_die);
    if (dwarf_get_units(dwarf, unit, &next, &version, &unit_type, &unit_die, &split_die) != 0) break;
    unit = next;
    if (unit_type != DW_UT_compile && unit_type != DW_UT_partial && unit_type != DW_UT_skeleton) continue;
    // A skeleton unit states the ranges, and its split unit (in a .dwo
    // file) has the line table and the function DIEs.
    const Dwarf_Die& described = unit_type == DW_UT_skeleton && split_die.addr != nullptr ? split_die : unit_die;

    Dwarf_Addr base = 0;
    Dwarf_Addr start = 0;
    Dwarf_Addr end = 0;
    ptrdiff_t offset = 0;
    while ((offset = dwarf_ranges(&unit_die, offset, &base, &start, &end)) > 0) {
      // A range of removed code (see overlaps_removed_code) is left out.
      if (end > start && is_code(start)) ranges_.push_back({start, end, described});
    }
  }

  std::sort(ranges_.begin(), ranges_.end(),
            [](const Range& left, const Range& right) { return left.start < right.start; });
  max_end_.reserve(ranges_.size());
  Dwarf_Addr max_end = 0;
  for (const Range& range : ranges_) {
    max_end = std::max(max_end, range.end);
    max_end_.push_back(max_end);
  }
}

bool UnitRanges::find(Dwfl_Module* module, Dwarf_Addr address, Dwarf_Die& unit, Dwarf_Addr& bias) {
  if (!built_) build(module);
  bias = bias_;
  if (address < bias_) return false;
  const Dwarf_Addr relative = address - bias_;

  auto after = std::upper_bound(ranges_.begin(), ranges_.end(), relative,
                                [](Dwarf_Addr value, const Range& range) { return value < range.start; });
  // Units rarely overlap, but a range that starts earlier can still reach
  // past a later one's start.
  for (auto index = static_cast<std::size_t>(after - ranges_.begin()); index-- > 0;) {
    if (max_end_[index] <= relative) break;
    if (relative < ranges_[index].end) {
      unit = ranges_[index].unit;
      return true;
    }
  }
  return false;
}

}  // namespace stray::symbolize
