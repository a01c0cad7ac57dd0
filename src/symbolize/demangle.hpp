// C++ name demangling for symbol and DWARF linkage names.
#pragma once

#include <string>

namespace stray::symbolize {

// Returns the demangled form of an Itanium C++ ABI name ("_Z..."), or `name`
// unchanged when it is not mangled or does not demangle. Null gives "".
std::string demangle(const char* name);

}  // namespace stray::symbolize
