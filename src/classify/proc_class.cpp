#include "classify/proc_class.hpp"

#include "classify/internal.hpp"

namespace stray {

ThreadClass classify_from_proc(char state, std::optional<long> syscall) {
  switch (state) {
    case 'R': return ThreadClass::running;
    case 'T':
    case 't': return ThreadClass::stopped;
    case 'D': return ThreadClass::uninterruptible;
    case 'Z':
    case 'X': return ThreadClass::dead;
    default: break;
  }
  if (!syscall || *syscall < 0) return ThreadClass::unknown;
  return classify_detail::class_of_syscall(*syscall);
}

}  // namespace stray
