// Function names of DWARF DIEs, spelled as abi::__cxa_demangle spells the
// same function's ELF symbol.
//
// GCC 12 gives no DW_AT_linkage_name to functions with internal linkage
// (static, in an anonymous namespace, a lambda's operator()) or to a
// template instantiated with a lambda (std::condition_variable::wait with a
// predicate, std::__invoke). Such functions are often inlined frames at -O2
// and ELF symbols at -O0, and only one spelling lets a rule written for one
// build match the other. Without a linkage name, the name is rebuilt from
// the DIEs: "main::{lambda()#1}::operator()() const", not GCC's own
// "main()::<lambda()>".
#pragma once

#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <elfutils/libdw.h>

namespace stray::symbolize {

// The scopes around DIEs, from an index of the units it has seen.
// dwarf_getscopes_die walks the unit from its root on every call, and one
// rebuilt name needs tens of calls. For std::condition_variable::wait with
// a lambda, in the 12,918-DIE unit of tests/targets/run_gtest_leak.cpp
// (2-core x86_64 VM, elfutils 0.188), that took 4 to 8 ms per name. With
// the index it takes 0.85 ms the first time, building the index, and
// 0.02 ms after. Valid while the Dwarf it indexed lives.
class DieParents {
 public:
  // The namespace, class, function and block DIEs around `die`, innermost
  // first, ending with its unit's DIE; `die` itself is not included.
  std::vector<Dwarf_Die> enclosing_scopes(Dwarf_Die* die);

 private:
  void index_unit(Dwarf_Die* unit);

  std::unordered_set<const void*> indexed_units_;  // by the unit DIE's address
  // Keyed and valued by DIE addresses (Dwarf_Die::addr), for the DIEs that
  // can be scopes or be asked for theirs, not for leaves such as members.
  std::unordered_map<const void*, const void*> parents_;
};

// The demangled name of the function of a DW_TAG_subprogram or
// DW_TAG_inlined_subroutine DIE: the demangled DW_AT_linkage_name (through
// DW_AT_abstract_origin and DW_AT_specification) when there is one, the
// plain DW_AT_name of a C function, else the name rebuilt from
// DWARF with its parameter list. A rebuilt function template carries its
// return type as DWARF resolves it ("void"), where the demangler may print
// the declared one ("std::__invoke_result<F>::type"). When a part cannot be
// rebuilt (a function pointer parameter, a generic lambda), the result is
// GCC's DW_AT_name with the enclosing namespaces and classes, and no
// parameter list. Empty when the DIE has no name.
std::string dwarf_function_name(Dwarf_Die* die, DieParents& parents);

}  // namespace stray::symbolize
