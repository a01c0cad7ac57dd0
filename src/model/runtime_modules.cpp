#include "model/runtime_modules.hpp"

#include <array>

namespace stray {

namespace {

// File name prefixes of runtime modules ("libc.so.6" matches "libc.so").
constexpr std::array<std::string_view, 10> kRuntimeModules = {
    "libc.so",       "libstdc++.so", "libgcc_s.so", "ld-linux-x86-64.so", "libpthread.so",
    "libdl.so",      "librt.so",     "libc++.so",   "libc++abi.so",       "[vdso]",
};

}  // namespace

bool is_runtime_module(std::string_view path) {
  std::size_t slash = path.rfind('/');
  std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  for (std::string_view prefix : kRuntimeModules) {
    if (name.substr(0, prefix.size()) == prefix) return true;
  }
  return false;
}

}  // namespace stray
