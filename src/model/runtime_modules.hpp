// The C and C++ runtime libraries, named by file. Classification treats
// every frame in them as runtime, and symbolization skips their source
// lines unless asked.
#pragma once

#include <string_view>

namespace stray {

// True when the file name of `path` starts with the name of a runtime
// library: libc, libstdc++, libgcc_s, the dynamic loader, libpthread, libdl,
// librt, libc++, libc++abi, or "[vdso]".
bool is_runtime_module(std::string_view path);

}  // namespace stray
