// libFuzzer target for the rules-file parser and the glob matcher behind
// it. Any input must either parse or throw stray::RulesSyntaxError; a
// parsed rule must format and parse back to the same terms, and matching
// it against a thread must finish.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "stray/rules.hpp"

namespace {

stray::Thread sample_thread() {
  stray::Thread thread;
  thread.tid = 2;
  thread.name = "worker-1";
  thread.thread_class = stray::ThreadClass::condvar;
  for (const char* function : {"__futex_abstimed_wait_common", "std::condition_variable::wait",
                               "pool::worker_loop()", "start_thread"}) {
    stray::Frame frame;
    frame.function = function;
    frame.module = "/usr/lib/x86_64-linux-gnu/libc.so.6";
    thread.frames.push_back(frame);
  }
  thread.top_frame = 2;
  thread.start_routine = 2;
  return thread;
}

bool same_terms(const stray::Rule& left, const stray::Rule& right) {
  if (left.terms.size() != right.terms.size() || left.max != right.max) return false;
  for (std::size_t i = 0; i < left.terms.size(); ++i) {
    if (left.terms[i].key != right.terms[i].key) return false;
    if (left.terms[i].pattern != right.terms[i].pattern) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<stray::Rule> rules;
  try {
    rules = stray::parse_rules(text, "fuzz.rules");
  } catch (const stray::RulesSyntaxError&) {
    return 0;
  }
  static const stray::Thread thread = sample_thread();
  for (const stray::Rule& rule : rules) {
    (void)stray::rule_matches(rule, thread);
    std::string line = stray::format_rule(rule);
    std::vector<stray::Rule> again = stray::parse_rules(line, "formatted.rules");
    if (again.size() != 1 || !same_terms(again.front(), rule)) std::abort();
  }
  return 0;
}
