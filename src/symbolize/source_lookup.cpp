#include "symbolize/source_lookup.hpp"

#include <dwarf.h>
#include <elfutils/libdw.h>

#include <cstddef>
#include <cstdlib>
#include <string_view>

#include "symbolize/demangle.hpp"
#include "symbolize/dwarf_names.hpp"

namespace stray::symbolize {

namespace {

std::string symbol_name(Dwfl_Module* module, Dwarf_Addr address) {
  GElf_Off offset = 0;
  GElf_Sym symbol;
  const char* name =
      dwfl_module_addrinfo(module, address, &offset, &symbol, nullptr, nullptr, nullptr);
  if (name == nullptr) return {};
  // Drop the symbol version ("pthread_cond_wait@@GLIBC_2.3.2"), which
  // libdwfl returns as part of the name and which would stop demangling.
  std::string_view unversioned(name);
  unversioned = unversioned.substr(0, unversioned.find('@'));
  return demangle(std::string(unversioned).c_str());
}

void set_line_table_position(Dwfl_Module* module, Dwarf_Addr address, SourceFrame& frame) {
  Dwfl_Line* line = dwfl_module_getsrc(module, address);
  if (line == nullptr) return;
  int line_number = 0;
  int column = 0;
  const char* file = dwfl_lineinfo(line, nullptr, &line_number, &column, nullptr, nullptr);
  if (file == nullptr) return;
  frame.file = file;
  frame.line = line_number;
  frame.column = column;
}

// The same from the line table of a unit that libdwfl did not find
// (`address` relative to the unit's bias).
void set_unit_line_position(Dwarf_Die* unit, Dwarf_Addr address, SourceFrame& frame) {
  Dwarf_Line* line = dwarf_getsrc_die(unit, address);
  if (line == nullptr) return;
  int line_number = 0;
  int column = 0;
  const char* file = dwarf_linesrc(line, nullptr, nullptr);
  if (file == nullptr || dwarf_lineno(line, &line_number) != 0) return;
  dwarf_linecol(line, &column);
  frame.file = file;
  frame.line = line_number;
  frame.column = column;
}

// True when the address ranges of `cu` contain `address` (relative to the
// CU's bias), or when the CU states no ranges at all. libdwfl (elfutils
// 0.188) can give an address in a gap between two ranges of one CU a line
// of that CU: _start, from crt1.o without debug information, sits between
// main's .text.startup and the rest of the program's .text.
bool cu_covers(Dwarf_Die* cu, Dwarf_Addr address) {
  Dwarf_Addr base = 0;
  Dwarf_Addr start = 0;
  Dwarf_Addr end = 0;
  bool has_ranges = false;
  ptrdiff_t offset = 0;
  while ((offset = dwarf_ranges(cu, offset, &base, &start, &end)) > 0) {
    has_ranges = true;
    if (address >= start && address < end) return true;
  }
  return !has_ranges;
}

// The subprogram and inlined-subroutine DIEs that contain `address`
// (relative to the CU's bias), innermost first, ending at the subprogram.
std::vector<Dwarf_Die> function_scopes(Dwarf_Die* cu, Dwarf_Addr address) {
  // dwarf_getscopes finds the innermost scope, but above an inlined
  // subroutine it continues with the scopes of its abstract origin, not
  // with the function it was inlined into. dwarf_getscopes_die walks the
  // DIE tree upwards from the innermost scope instead, which is the chain of
  // inlined calls.
  Dwarf_Die* scopes = nullptr;
  int count = dwarf_getscopes(cu, address, &scopes);
  if (count <= 0) return {};
  Dwarf_Die innermost = scopes[0];
  std::free(scopes);
  scopes = nullptr;
  count = dwarf_getscopes_die(&innermost, &scopes);

  std::vector<Dwarf_Die> functions;
  for (int i = 0; i < count; ++i) {
    int tag = dwarf_tag(&scopes[i]);
    if (tag != DW_TAG_subprogram && tag != DW_TAG_inlined_subroutine &&
        tag != DW_TAG_entry_point)
      continue;
    functions.push_back(scopes[i]);
    if (tag == DW_TAG_subprogram) break;
  }
  std::free(scopes);
  return functions;
}

// Position of the call that `inlined` (a DW_TAG_inlined_subroutine) expands.
void set_call_site(Dwarf_Die* inlined, SourceFrame& frame) {
  Dwarf_Attribute attribute;
  Dwarf_Word value = 0;
  Dwarf_Die cu;
  Dwarf_Files* files = nullptr;
  if (dwarf_formudata(dwarf_attr(inlined, DW_AT_call_file, &attribute), &value) == 0 &&
      dwarf_diecu(inlined, &cu, nullptr, nullptr) != nullptr &&
      dwarf_getsrcfiles(&cu, &files, nullptr) == 0) {
    // elfutils numbers the file table from 0 for every DWARF version (it
    // inserts a placeholder entry 0 before DWARF 5), so the index is used as is.
    const char* file = dwarf_filesrc(files, value, nullptr, nullptr);
    if (file != nullptr) frame.file = file;
  }
  if (dwarf_formudata(dwarf_attr(inlined, DW_AT_call_line, &attribute), &value) == 0)
    frame.line = static_cast<int>(value);
  if (dwarf_formudata(dwarf_attr(inlined, DW_AT_call_column, &attribute), &value) == 0)
    frame.column = static_cast<int>(value);
}

std::vector<SourceFrame> expand_inline_chain(std::vector<Dwarf_Die>& functions,
                                             const SourceFrame& innermost, DieParents& parents) {
  std::vector<SourceFrame> frames;
  for (std::size_t level = 0; level < functions.size(); ++level) {
    bool outermost = level + 1 == functions.size();
    SourceFrame frame;
    if (level == 0) {
      frame = innermost;
    } else {
      set_call_site(&functions[level - 1], frame);
    }
    // The ELF symbol names the out-of-line function, clone suffixes included.
    if (outermost && !innermost.function.empty()) {
      frame.function = innermost.function;
    } else {
      frame.function = dwarf_function_name(&functions[level], parents);
    }
    frame.inlined = !outermost;
    frames.push_back(std::move(frame));
  }
  return frames;
}

}  // namespace

std::vector<SourceFrame> describe_address(Dwfl_Module* module, Dwarf_Addr address,
                                          bool with_source, DwarfIndexes& indexes) {
  SourceFrame innermost;
  innermost.function = symbol_name(module, address);
  if (!with_source) return {innermost};

  Dwarf_Addr bias = 0;
  Dwarf_Die* cu = dwfl_module_addrdie(module, address, &bias);
  Dwarf_Die indexed_unit;
  if (cu != nullptr) {
    if (!cu_covers(cu, address - bias)) return {innermost};
    if (indexes.units.overlaps_removed_code(module, cu, address - bias)) return {innermost};
    set_line_table_position(module, address, innermost);
  } else if (indexes.units.find(module, address, indexed_unit, bias)) {
    cu = &indexed_unit;
    if (indexes.units.overlaps_removed_code(module, cu, address - bias)) return {innermost};
    set_unit_line_position(cu, address - bias, innermost);
  } else {
    return {innermost};
  }
  std::vector<Dwarf_Die> functions = function_scopes(cu, address - bias);
  if (functions.size() < 2) return {innermost};
  return expand_inline_chain(functions, innermost, indexes.parents);
}

}  // namespace stray::symbolize
