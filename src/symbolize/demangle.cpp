#include "symbolize/demangle.hpp"

#include <cxxabi.h>

#include <cstdlib>
#include <memory>

namespace stray::symbolize {

std::string demangle(const char* name) {
  if (name == nullptr) return {};
  if (name[0] != '_' || name[1] != 'Z') return name;

  int status = 0;
  std::unique_ptr<char, decltype(&std::free)> demangled(
      abi::__cxa_demangle(name, nullptr, nullptr, &status), &std::free);
  if (status != 0 || !demangled) return name;
  return demangled.get();
}

}  // namespace stray::symbolize
