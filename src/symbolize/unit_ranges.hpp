// The compile unit of an address, found through the units' own address
// ranges when libdwfl cannot find it.
//
// libdwfl (elfutils 0.188) looks a unit up only through .debug_aranges.
// Clang 14 does not emit that section unless asked (-gdwarf-aranges), so a
// Clang-built program would get no source lines and no inlined frames.
#pragma once

#include <utility>
#include <vector>

#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>

namespace stray::symbolize {

class UnitRanges {
 public:
  // Finds the unit DIE whose DW_AT_low_pc/DW_AT_high_pc or DW_AT_ranges
  // contain `address`, in libdwfl's address space of `module`. Sets `bias`
  // to the DWARF's bias, as dwfl_module_getdwarf returns it. The index is
  // built on the first call and stays valid while the module's Dwarf lives.
  bool find(Dwfl_Module* module, Dwarf_Addr address, Dwarf_Die& unit, Dwarf_Addr& bias);

  // True when a range of `unit` that lies outside the module's executable
  // sections contains `relative` (relative to the DWARF's bias). GNU ld
  // gives the DWARF of a function that --gc-sections removed the address 0
  // (1 in .debug_ranges), so its ranges and line rows overlap the live code
  // at the start of a position-independent executable. libdw sorts those
  // rows in with the live ones, so no line found there can be trusted.
  bool overlaps_removed_code(Dwfl_Module* module, Dwarf_Die* unit, Dwarf_Addr relative);

 private:
  struct Range {
    Dwarf_Addr start = 0;  // relative to bias_
    Dwarf_Addr end = 0;    // exclusive
    Dwarf_Die unit;
  };

  void build(Dwfl_Module* module);
  // Fills code_ and bias_ on the first call.
  void read_code_sections(Dwfl_Module* module);
  bool is_code(Dwarf_Addr relative) const;

  bool built_ = false;
  bool code_read_ = false;
  Dwarf_Addr bias_ = 0;
  std::vector<Range> ranges_;  // sorted by start
  // max_end_[i]: the largest end among ranges_[0..i], so that a lookup can
  // stop walking back once no earlier range reaches the address.
  std::vector<Dwarf_Addr> max_end_;
  // [start, end) of each SHF_EXECINSTR section, relative to bias_. Empty
  // when the module's ELF cannot be read, and then every range counts as code.
  std::vector<std::pair<Dwarf_Addr, Dwarf_Addr>> code_;
};

}  // namespace stray::symbolize
