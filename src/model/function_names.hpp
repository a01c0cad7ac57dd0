// The qualified name of a demangled function: the form that classification
// and ignore rules compare, whatever the name's source (ELF symbol, DWARF
// linkage name, or a name rebuilt from DWARF).
#pragma once

#include <string_view>

namespace stray {

// The demangled name without its return type (which demangled template
// functions carry), its own parameter list and what follows it
// (cv-qualifiers, "[clone .cold]"). Template arguments stay, and so do the
// parameter lists of enclosing functions, which the demangler prints for
// local entities:
//   "void ns::run<int>(int) const"                 -> "ns::run<int>"
//   "f(int)::{lambda()#1}::operator()() const"     -> "f(int)::{lambda()#1}::operator()"
//   "void std::condition_variable::wait<main::{lambda()#1}::operator()() const::{lambda()#1}>(...)"
//                                                   -> "std::condition_variable::wait<...>"
// A C name comes back unchanged.
std::string_view qualified_name(std::string_view demangled);

// True when the name has a parameter list of its own, which qualified_name
// would cut: "run(int)" and "f()::{lambda()#1}::operator()() const" have
// one, "main::{lambda()#1}::operator()" and "(anonymous namespace)::park"
// have none.
bool has_parameter_list(std::string_view name);

}  // namespace stray
