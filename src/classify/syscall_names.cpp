// Names of x86_64 syscall numbers.
#include <algorithm>
#include <array>
#include <string>
#include <string_view>

#include "classify/classifier.hpp"

namespace stray {

namespace {

struct SyscallName {
  long number;
  std::string_view name;
};

constexpr SyscallName kSyscallNames[] = {
#include "classify/syscall_names.inc"
};

}  // namespace

std::string syscall_name(long number) {
  auto entry = std::lower_bound(
      std::begin(kSyscallNames), std::end(kSyscallNames), number,
      [](const SyscallName& candidate, long value) { return candidate.number < value; });
  if (entry != std::end(kSyscallNames) && entry->number == number) return std::string(entry->name);
  return "syscall_" + std::to_string(number);
}

}  // namespace stray
