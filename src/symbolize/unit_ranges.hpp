// The compile unit of an address, found through the units' own address
// ranges when libdwfl cannot find it.
//
// libdwfl (elfutils 0.188) looks a unit up only through .debug_aranges.
// Clang 14 does not emit that section unless asked (-gdwarf-aranges), so a
// Clang-built program would get no source lines and no inlined frames.
#pragma once

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

 private:
  struct Range {
    Dwarf_Addr start = 0;  // relative to bias_
    Dwarf_Addr end = 0;    // exclusive
    Dwarf_Die unit;
  };

  void build(Dwfl_Module* module);

  bool built_ = false;
  Dwarf_Addr bias_ = 0;
  std::vector<Range> ranges_;  // sorted by start
  // max_end_[i]: the largest end among ranges_[0..i], so that a lookup can
  // stop walking back once no earlier range reaches the address.
  std::vector<Dwarf_Addr> max_end_;
};

}  // namespace stray::symbolize
