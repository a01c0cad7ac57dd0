// Function names and source positions at one address of a libdwfl module,
// with each inlined call expanded into its own level.
#pragma once

#include <string>
#include <vector>

#include <elfutils/libdwfl.h>

#include "symbolize/dwarf_names.hpp"
#include "symbolize/unit_ranges.hpp"

namespace stray::symbolize {

// Lookup indexes over one module's DWARF, kept for the module's lifetime.
struct DwarfIndexes {
  DieParents parents;
  UnitRanges units;
};

// One function level at an address.
struct SourceFrame {
  std::string function;  // demangled; empty when no symbol covers the address
  std::string file;      // empty when there is no line information
  int line = 0;
  int column = 0;
  bool inlined = false;  // an inlined call inside the next entry's function
};

// Describes `address` (in libdwfl's address space of `module`), innermost
// first. The last entry is the out-of-line function that contains the
// address, named from the ELF symbol table. Each entry before it is an
// inlined call, named from DWARF. The first entry's position comes from the
// line table, and is left empty when no CU's address ranges contain the
// address, or when a range of code that --gc-sections removed overlaps it
// in that CU. A unit missing from .debug_aranges is found through its own
// ranges. Every later entry's position is the call site
// (DW_AT_call_file/line/column) of the entry before it, so each position lies
// in its own entry's function, as `eu-addr2line -i` prints them.
// Without `with_source`, the result is the symbol-table name alone, and the
// module's DWARF is never opened. `indexes` must belong to `module`.
std::vector<SourceFrame> describe_address(Dwfl_Module* module, Dwarf_Addr address,
                                          bool with_source, DwarfIndexes& indexes);

}  // namespace stray::symbolize
