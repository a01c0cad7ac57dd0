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

#include <elfutils/libdw.h>

namespace stray::symbolize {

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
std::string dwarf_function_name(Dwarf_Die* die);

}  // namespace stray::symbolize
