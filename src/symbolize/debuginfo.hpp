// Finds separate debug files for libdwfl modules in local directories only.
//
// This replaces dwfl_standard_find_debuginfo on purpose: in elfutils 0.188
// the standard lookup dlopens libdebuginfod (and libcurl) on its first miss,
// costing about 5 ms (measured on a 2-core x86_64 VM), and contacts servers
// when DEBUGINFOD_URLS is set.
// stray must not reach the network, so debuginfod is never called.
#pragma once

#include <string>
#include <vector>

#include <elfutils/libdwfl.h>

namespace stray::symbolize {

struct DebugSearch {
  std::vector<std::string> roots;  // such as /usr/lib/debug
};

// A Dwfl_Callbacks::find_debuginfo. The module's userdata must point to the
// DebugSearch to use. Looks for, in order:
//   ROOT/.build-id/xx/yyyy.debug for each root,
//   DIR/LINK, DIR/.debug/LINK and ROOT/DIR/LINK for the .gnu_debuglink name,
// and accepts a file only when its build-id equals the module's (or, for a
// module without build-id, when its CRC-32 equals the debuglink CRC). Also
// serves libdwfl's lookup of a .gnu_debugaltlink (dwz) file, checked against
// the build-id recorded in that section.
int find_debuginfo(Dwfl_Module* module, void** userdata, const char* module_name,
                   Dwarf_Addr base, const char* file_name, const char* debuglink_file,
                   GElf_Word debuglink_crc, char** debuginfo_file_name);

}  // namespace stray::symbolize
